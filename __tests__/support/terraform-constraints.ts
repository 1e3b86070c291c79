/**
 * Terraform's version constraints (`>= 6.12.0, < 7.0.0`, `~> 1.10`, `= 5.100.0`), read as
 * hashicorp/go-version reads them, for tests that ask whether a constraint admits a version.
 * `__tests__/infrastructure/provider-lines.e2e.test.ts` checks this reading against terraform itself.
 */

type Version = readonly [number, number, number];

function parseVersion(text: string): { version: Version; parts: number } {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a version: ${JSON.stringify(text)}`);
  const parts = match.slice(1).filter((part) => part !== undefined).length;
  return { version: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)], parts };
}

function compare(a: Version, b: Version): number {
  for (let index = 0; index < 3; index++) if (a[index] !== b[index]) return Math.sign(a[index] - b[index]);
  return 0;
}

/** Whether every comma-separated condition of `constraint` admits `version`. */
export function admits(constraint: string, version: string): boolean {
  const candidate = parseVersion(version).version;
  return constraint.split(",").every((condition) => {
    const match = /^\s*(>=|<=|!=|~>|=|>|<)?\s*(\S+)\s*$/.exec(condition);
    if (!match) throw new Error(`not a version constraint: ${JSON.stringify(condition)}`);
    const operator = match[1] ?? "=";
    const { version: bound, parts } = parseVersion(match[2]);
    const order = compare(candidate, bound);
    switch (operator) {
      case "=":
        return order === 0;
      case "!=":
        return order !== 0;
      case ">":
        return order > 0;
      case ">=":
        return order >= 0;
      case "<":
        return order < 0;
      case "<=":
        return order <= 0;
      default: {
        // `~> 1.10` allows 1.x from 1.10; `~> 6.12.0` allows 6.12.x: the rightmost given part may grow.
        const fixed = Math.max(1, parts - 1);
        return order >= 0 && candidate.slice(0, fixed).every((part, index) => part === bound[index]);
      }
    }
  });
}
