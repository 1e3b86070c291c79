/**
 * `npm run local -- --smoke` end to end, as CI and an ops engineer run it: moto_server, the
 * emulator stack deployed by cdktf, the local gateway and event source mapping, the dummy
 * application, a release outage, the DLQ and `webhook-queue --stack emulator redrive`. Then what
 * the terminal showed: a line per webhook event, short enough to read, the whole JSON log in its file.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LOCAL_DIR_ENV } from "../../../src/operations/shared/running-rehearsal";
import { MAX_LINE_LENGTH } from "../../../src/operations/local/webhook-events";
import { PROJECT_ROOT } from "../../../src/project";

/** The deploy takes about 150 s (the provider's SQS waits of ~25 s each); the scenario about 20 s. */
const SMOKE_TIMEOUT_MS = 6 * 60_000;

const localDir = mkdtempSync(join(tmpdir(), "smoke-local-"));
afterAll(() => rmSync(localDir, { recursive: true, force: true }));

let output = "";
let code: number | null;

test(
  "npm run local -- --smoke passes: two sources, every genuine webhook delivered once, each lane in order, the forged one quarantined, after the DLQ and a redrive",
  async () => {
    const child = spawn("npm", ["run", "--silent", "local", "--", "--smoke"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, [LOCAL_DIR_ENV]: localDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    code = await new Promise<number | null>((exited) => child.once("close", (exitCode) => exited(exitCode)));

    const summary = /^smoke: .*$/m.exec(output)?.[0];
    if (code !== 0) process.stderr.write(output);
    expect(summary).toMatch(
      /^smoke: PASS delivered=20 sources=2 lanes=7 order=ok duplicates=0 identical=2 forged_quarantined=2 direct_forbidden=1 release_retried=3 release_dead_lettered=0 held=3 dlq_redriven=4 wall=\d+\.\ds$/,
    );
    expect(code).toBe(0);
    process.stdout.write(`${summary}\n`);
  },
  SMOKE_TIMEOUT_MS,
);

describe("the smoke's terminal (by default)", () => {
  const lines = () => output.trimEnd().split("\n");
  /** What the CLI printed, through the smoke: its own tables. */
  const fromTheCli = (line: string) => /^\[(status|redrive)\] /.test(line);
  const events = (what: RegExp) => lines().filter((line) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\S+ +webhook \\S+ +${what.source}`).test(line));

  test("is short: a line per webhook event, none of the functions' JSON, no line over the width", () => {
    expect(code).toBe(0);
    // 385 lines before, every function log line printed (2026-12-07); about 125 now.
    expect(lines().length).toBeLessThanOrEqual(160);
    expect(output).not.toMatch(/"level":"(DEBUG|INFO|WARN|ERROR)"/);
    expect(output).not.toContain('"stack":');
    expect(output).not.toMatch(/^\[(forwarder|application|gateway|mapping)\]/m);
    const wide = lines().filter((line) => line.length > MAX_LINE_LENGTH && !fromTheCli(line) && !line.startsWith("smoke: "));
    expect(wide).toEqual([]);
    expect(lines().filter((line) => line.startsWith("[smoke] ")).length).toBeGreaterThanOrEqual(11);
  });

  test("tells each webhook's story: queued, delivered once each, retried, dead-lettered, held, quarantined", () => {
    expect(events(/delivered to application in \d+ ms/)).toHaveLength(20);
    expect(events(/queued \(POST \/(sqs-hook|webhooks\/github)\)/)).toHaveLength(22);
    expect(events(/not delivered: application 503 server-error; retry in \d+(-\d+)? s/).length).toBeGreaterThanOrEqual(6);
    expect(events(/dead-lettered, group held: failing for \d+ s/)).toHaveLength(1);
    expect(events(/held: sent to the DLQ behind its group's dead letter/)).toHaveLength(3);
    expect(events(/quarantined: (signature mismatch|forged: )/)).toHaveLength(2);
    expect(output).toMatch(/^\d\d:\d\d:\d\d POST \/application-hook -> 403 \(IAM authorization: /m);
  });

  test("webhook-queue --stack emulator used the running rehearsal, and status says who polls the mapping", () => {
    const pid = /using the running `npm run local` rehearsal \(pid (\d+), moto_server http:\/\/127\.0\.0\.1:\d+\)/.exec(output)?.[1];
    expect(pid).toBeDefined();
    expect(output).toContain(`[status]   polled by \`npm run local\`'s local event source mapping (pid ${pid}; moto cannot invoke Lambda): Enabled`);
    expect(existsSync(join(localDir, "endpoints.json"))).toBe(false);
  });

  test("the whole log is in the file named first, one JSON object a line", () => {
    const file = /^\[local\] the whole log, JSON lines: (\S+)/.exec(output)?.[1];
    expect(file).toBeDefined();
    const entries = readFileSync(resolve(PROJECT_ROOT, file!), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { from?: string; message?: string });
    expect(entries.filter((entry) => entry.from === "forwarder" && entry.message === "message delivered")).toHaveLength(20);
    expect(entries.filter((entry) => entry.from === "forwarder" && entry.message === "message not delivered").length).toBeGreaterThanOrEqual(6);
    expect(entries.filter((entry) => entry.from === "application" && entry.message === "webhook received")).toHaveLength(20);
    expect(entries.some((entry) => entry.from === "gateway" && entry.message?.startsWith("POST /webhooks/github -> 200 (SendMessage"))).toBe(true);
    expect(entries.some((entry) => entry.from === "mapping" && /^poller \d+: /.test(entry.message ?? ""))).toBe(true);
  });
});
