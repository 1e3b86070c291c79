/**
 * `npm run local -- --smoke` end to end, as CI and an ops engineer run it: moto_server, the
 * emulator stack deployed by cdktf, the local gateway and event source mapping, the dummy
 * application, a release outage, the DLQ and `webhook-queue redrive`.
 */
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../../src/project";

/** The deploy takes about 150 s (the provider's SQS waits of ~25 s each); the scenario about 20 s. */
const SMOKE_TIMEOUT_MS = 6 * 60_000;

test(
  "npm run local -- --smoke passes: two sources, every genuine webhook delivered once, each lane in order, the forged one quarantined, after the DLQ and a redrive",
  async () => {
    const child = spawn("npm", ["run", "--silent", "local", "--", "--smoke"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((exited) => child.once("close", (exitCode) => exited(exitCode)));

    const summary = /^smoke: .*$/m.exec(output)?.[0];
    if (code !== 0)
      process.stderr.write(
        output
          .split("\n")
          .filter((line) => !line.startsWith("[forwarder]"))
          .join("\n"),
      );
    expect(summary).toMatch(
      /^smoke: PASS delivered=20 sources=2 lanes=7 order=ok duplicates=0 identical=2 forged_quarantined=2 direct_forbidden=1 release_retried=3 release_dead_lettered=0 held=3 dlq_redriven=4 wall=\d+\.\ds$/,
    );
    expect(code).toBe(0);
    process.stdout.write(`${summary}\n`);
  },
  SMOKE_TIMEOUT_MS,
);
