/**
 * `npm run local` interactively: a webhook POSTed to the printed URL reaches the dummy
 * application, and SIGINT to the rehearsal's process stops everything (moto_server
 * included, which gets no signal of its own here) and exits 0, so npm exits 0 too.
 * (A terminal's Ctrl-C signals the whole process group; npm then ends by SIGINT itself,
 * as it does for any script.)
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_DIR_ENV } from "../../../src/operations/shared/running-rehearsal";
import { shortId } from "../../../src/operations/local/webhook-events";
import { PROJECT_ROOT } from "../../../src/project";

const READY_TIMEOUT_MS = 5 * 60_000;

let child: ChildProcess | undefined;
let output = "";
// Its own endpoints.json and log: another rehearsal may run beside it (the smoke's).
const localDir = mkdtempSync(join(tmpdir(), "interactive-local-"));
afterAll(() => rmSync(localDir, { recursive: true, force: true }));

afterAll(async () => {
  // Only when the test failed half-way: nothing of this run may outlive it.
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((done) => child!.once("close", done));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => process.kill(-child!.pid!, "SIGKILL"), 15_000);
  await closed;
  clearTimeout(timer);
}, 30_000);

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((found, failed) => {
    const check = () => {
      const match = pattern.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child?.stdout?.off("data", check);
      found(match);
    };
    const timer = setTimeout(() => {
      child?.stdout?.off("data", check);
      failed(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
    }, timeoutMs);
    child?.stdout?.on("data", check);
    check();
  });
}

/** The pid of a process below `root` whose command line passes `matches`. */
function pidOf(root: number, matches: (commandLine: string) => boolean): number | undefined {
  const rows = spawnSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .map((line) => {
      const [pid, ppid, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), args: args.join(" ") };
    });
  const parentOf = new Map(rows.map((row) => [row.pid, row.ppid]));
  const below = (pid: number) => {
    for (let current = parentOf.get(pid); current !== undefined && current > 1; current = parentOf.get(current)) if (current === root) return true;
    return false;
  };
  return rows.find((row) => matches(row.args) && below(row.pid))?.pid;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  "a POSTed webhook is printed by the dummy application; SIGINT stops everything, moto_server included, and exits 0",
  async () => {
    child = spawn("npm", ["run", "--silent", "local"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, [LOCAL_DIR_ENV]: localDir },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child!.once("close", (code) => done(code)));

    const [, port] = await waitForOutput(/\[local\] moto_server on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    const moto = pidOf(child.pid!, (commandLine) => commandLine.includes("moto_server") && commandLine.endsWith(`-p ${port}`));
    expect(moto).toBeDefined();
    const [, webhookUrl] = await waitForOutput(/\[local\] POST webhooks to (\S+)/, READY_TIMEOUT_MS);

    const id = randomUUID();
    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "approval.updated", id }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ SendMessageResponse: { SendMessageResult: { MessageId: expect.any(String) } } });
    // The default source's webhook ID is API Gateway's request ID; the line shows what the application received.
    const webhook = escaped(`webhook ${shortId(response.headers.get("apigw-requestid") ?? "")}`);
    await waitForOutput(new RegExp(`\\d\\d:\\d\\d:\\d\\d \\S+ +${webhook} +delivered to application in \\d+ ms: .*${id}`), 30_000);

    // The node process itself, not the `sh -c` npm runs it with.
    const rehearsal = pidOf(child.pid!, (commandLine) => commandLine.startsWith("node ") && commandLine.includes("src/operations/local/main.ts"));
    expect(rehearsal).toBeDefined();
    process.kill(rehearsal!, "SIGINT");
    expect(await exited).toBe(0);
    expect(output).toMatch(/\[local\] stopped: /);
    expect(alive(moto!)).toBe(false);
  },
  READY_TIMEOUT_MS + 60_000,
);
