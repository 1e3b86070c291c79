/**
 * The one process runner, on real child processes (node scripts): output, exit codes, a stop
 * by abort or timeout reaching the whole process tree with SIGINT first, the SIGKILL grace, and
 * a tool's Ctrl-C handed on to its children instead of leaving them running.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CommandError, run, STOPPED_ABORTED } from "../../../src/operations/shared/run";

jest.setTimeout(30_000);

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "run-test-"))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `node -e script`: a child written for the test. */
const node = (script: string, options: Parameters<typeof run>[2] = {}) => run(process.execPath, ["-e", script], options);

/** A child that writes `marker` when SIGINT reaches it, starts a grandchild that does the same, and waits. */
function trapping(marker: string, { exitOnSigint = true } = {}): string {
  const trap = (file: string) =>
    `process.on("SIGINT", () => { require("fs").writeFileSync(${JSON.stringify(file)}, "SIGINT"); ${exitOnSigint ? "process.exit(0);" : ""} });`;
  const grandchild = `${trap(`${marker}.grandchild`)} setInterval(() => {}, 1000);`;
  return `${trap(marker)} require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: "ignore" }); console.log("ready"); setInterval(() => {}, 1000);`;
}

const waitFor = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("resolves with the output; a failing exit is a CommandError with the output's tail; okCodes widen success", async () => {
  const ok = await node('console.log("out"); console.error("err")');
  expect(ok).toMatchObject({ code: 0, stdout: "out\n", stderr: "err\n" });
  const failing = node('console.error("broken"); process.exit(3)');
  await expect(failing).rejects.toThrow(CommandError);
  await expect(failing).rejects.toMatchObject({ why: "exited with 3", result: { code: 3 }, message: expect.stringContaining("broken") });
  await expect(node("process.exit(2)", { okCodes: [0, 2] })).resolves.toMatchObject({ code: 2 });
});

test("onLine gets each line; logFile keeps the output", async () => {
  const lines: string[] = [];
  const logFile = join(scratch, "run.log");
  await node('console.log("a\\nb"); console.error("c")', { onLine: (line) => lines.push(line), logFile });
  expect(lines.sort()).toEqual(["a", "b", "c"]);
  await waitFor(() => readFileSync(logFile, "utf8").length === 6);
});

test("aborting sends SIGINT to the child and its children, and rejects with the reason", async () => {
  const marker = join(scratch, "abort");
  const controller = new AbortController();
  const running = node(trapping(marker), {
    signal: controller.signal,
    onLine: (line) => line === "ready" && setTimeout(() => controller.abort(), 300),
  });
  await expect(running).rejects.toMatchObject({ why: STOPPED_ABORTED });
  await waitFor(() => existsSync(marker) && existsSync(`${marker}.grandchild`));
});

test("a timeout stops it the same way", async () => {
  const marker = join(scratch, "timeout");
  // Long enough for the child to set its trap on a loaded machine (a SIGINT before it would kill it untrapped).
  await expect(node(trapping(marker), { timeoutMs: 3000 })).rejects.toMatchObject({ why: "stopped: no end after 3 s" });
  expect(readFileSync(marker, "utf8")).toBe("SIGINT");
});

test("a child that ignores SIGINT is killed after killAfterMs", async () => {
  const marker = join(scratch, "stubborn");
  const startedAt = Date.now();
  await expect(node(trapping(marker, { exitOnSigint: false }), { timeoutMs: 3000, killAfterMs: 1000 })).rejects.toMatchObject({
    why: "stopped: no end after 3 s",
  });
  expect(existsSync(marker)).toBe(true);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3900);
});

test("a tool's Ctrl-C (abortOnInterrupt) reaches its detached children as SIGINT; the tool then exits 130", async () => {
  const marker = join(scratch, "interrupt");
  const tool = join(scratch, "tool.ts");
  const runModule = resolve(__dirname, "../../../src/operations/shared/run");
  writeFileSync(
    tool,
    `import { abortOnInterrupt, run } from ${JSON.stringify(runModule)};
const interrupt = abortOnInterrupt("tool");
run(process.execPath, ["-e", ${JSON.stringify(trapping(marker))}], { signal: interrupt.signal, onLine: (line) => console.log(line) })
  .catch(() => { process.exitCode = interrupt.interrupted() ? 130 : 1; })
  .finally(() => interrupt.dispose());
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", tool], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes("ready")).catch((error: Error) => {
    throw new Error(`${error.message}: ${output}`);
  });
  // The grandchild's SIGINT handler is in place once it has started.
  await new Promise((r) => setTimeout(r, 500));
  // As a terminal's Ctrl-C: to the tool only, since its child has a process group of its own.
  child.kill("SIGINT");
  const code = await new Promise<number | null>((exited) => child.once("close", exited));
  expect(output).toContain("tool: stopping");
  expect(code).toBe(130);
  expect(readFileSync(marker, "utf8")).toBe("SIGINT");
  await waitFor(() => existsSync(`${marker}.grandchild`));
});
