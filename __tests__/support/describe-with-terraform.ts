/**
 * Tests that need terraform, the provider mirror, moto_server and the cdktf CLI. They print
 * what was found; when something is missing they FAIL, unless WEBHOOK_QUEUE_SKIP_E2E=1, in
 * which case they are skipped with a loud warning. Never a quiet pass.
 */
import { findPrerequisites, formatPrerequisites, Prerequisite } from "./prerequisites";

export const SKIP_E2E_ENV = "WEBHOOK_QUEUE_SKIP_E2E";

let checked: Prerequisite[] | undefined;

/** `describe`, guarded by the prerequisites check; `needs` names the ones that matter (default: all). */
export function describeWithTerraform(name: string, body: () => void, needs?: readonly string[]): void {
  checked ??= findPrerequisites();
  const missing = checked.filter((p) => !p.found && (needs === undefined || needs.includes(p.name)));
  const report = `${name}: e2e prerequisites\n${formatPrerequisites(checked)}`;
  if (missing.length === 0) {
    console.log(report);
    describe(name, body);
    return;
  }
  const names = missing.map((p) => p.name).join(", ");
  if (process.env[SKIP_E2E_ENV] === "1") {
    console.warn(
      `${"!".repeat(78)}\n!! SKIPPED because ${names} ${missing.length > 1 ? "are" : "is"} missing and ${SKIP_E2E_ENV}=1:\n!! ${name}\n` +
        `!! Nothing was planned or deployed: this run proves nothing about terraform.\n${report}\n${"!".repeat(78)}`,
    );
    describe.skip(name, body);
    return;
  }
  describe(name, () => {
    test("has its prerequisites installed", () => {
      throw new Error(`${names} missing (set ${SKIP_E2E_ENV}=1 to skip these tests on purpose):\n${report}`);
    });
  });
}
