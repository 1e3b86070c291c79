/**
 * `npm run local -- --smoke` end to end, as CI and an ops engineer run it: moto_server, the
 * emulator stack deployed by cdktf, the local gateway and event source mapping, the dummy
 * application, a release outage, the DLQ and `webhook-queue redrive`.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
/** The deploy takes about 90 s (three SQS waits of ~25 s each); the scenario about 15 s. */
const SMOKE_TIMEOUT_MS = 6 * 60_000;

test(
  "npm run local -- --smoke passes: every webhook delivered once, in group order, after the DLQ and a redrive",
  async () => {
    const child = spawn("npm", ["run", "--silent", "local", "--", "--smoke"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((exited) => child.once("close", (exitCode) => exited(exitCode)));

    const summary = /^smoke: .*$/m.exec(output)?.[0];
    if (code !== 0) process.stderr.write(output.split("\n").filter((line) => !line.startsWith("[forwarder]")).join("\n"));
    expect(summary).toMatch(/^smoke: PASS delivered=9 groups=2 order=ok duplicates=0 dlq_redriven=3 wall=\d+\.\ds$/);
    expect(code).toBe(0);
    process.stdout.write(`${summary}\n`);
  },
  SMOKE_TIMEOUT_MS,
);
