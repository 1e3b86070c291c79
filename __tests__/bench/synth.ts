/**
 * What ops wait for on every `cdktf deploy`: the app's synth time. Prints the median of
 * several runs of `node --import tsx main.ts` (what cdktf.json runs), the full
 * `cdktf synth`, and what importing the provider barrel instead of deep paths would cost.
 *
 *   npm run bench:synth
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/project";

const ROOT = PROJECT_ROOT;
const RUNS = Number(process.env.RUNS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...env }, stdio: "ignore" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function measure(label: string, run: () => number): void {
  run(); // warm the file cache
  const times = Array.from({ length: RUNS }, run);
  console.log(
    `${label.padEnd(52)} median ${median(times).toFixed(0).padStart(5)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}, ${RUNS} runs)`,
  );
}

const out = mkdtempSync(join(tmpdir(), "bench-synth-"));
try {
  measure("app synth: node --import tsx main.ts", () => timeCommand("node", ["--import", "tsx", "main.ts"], { CDKTF_OUTDIR: join(out, "app") }));
  measure("cdktf synth (CLI + app)", () => timeCommand("npx", ["cdktf", "synth", "--output", join(out, "cli")]));
  measure("require deep paths (the provider classes used)", () =>
    timeCommand("node", [
      "-e",
      [
        "apigatewayv2-integration",
        "apigatewayv2-route",
        "cloudwatch-log-group",
        "cloudwatch-metric-alarm",
        "data-aws-apigatewayv2-api",
        "data-aws-apigatewayv2-apis",
        "data-aws-iam-policy-document",
        "iam-role",
        "iam-role-policies-exclusive",
        "iam-role-policy",
        "iam-role-policy-attachment",
        "lambda-event-source-mapping",
        "lambda-function",
        "sqs-queue",
      ]
        .map((m) => `require("@cdktf/provider-aws/lib/${m}")`)
        .join(";"),
    ]),
  );
  measure("require the barrel @cdktf/provider-aws (for comparison)", () => timeCommand("node", ["-e", 'require("@cdktf/provider-aws")']));
} finally {
  rmSync(out, { recursive: true, force: true });
}
