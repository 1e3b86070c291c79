import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileLine, openRehearsalLog, WEBHOOK_EVENTS } from "../../../src/operations/local/rehearsal-log";

const scratch = mkdtempSync(join(tmpdir(), "rehearsal-log-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const AT = new Date(2026, 11, 7, 16, 10, 58);
const FUNCTION_LINE = '{"level":"INFO","message":"message delivered","timestamp":"2026-12-07T16:10:58.982Z","messageId":"m-1","latencyMs":4}';

function write(verbose: boolean) {
  const directory = join(scratch, verbose ? "verbose" : "default");
  const printed: string[] = [];
  const opened = openRehearsalLog({ directory, verbose, print: (line) => printed.push(line), now: () => AT });
  opened.log("local", "moto_server on http://127.0.0.1:5000");
  opened.log.detail("forwarder", FUNCTION_LINE);
  opened.log.detail("gateway", "POST /sqs-hook -> 200 (SendMessage group g MessageId m-1)");
  opened.log(WEBHOOK_EVENTS, "16:10:58 g                  webhook m-1  delivered to application in 4 ms");
  opened.close();
  opened.log("local", "stopped (after the file was closed: the terminal only)");
  return { file: opened.file, printed, directory };
}

test("the terminal gets the operator's lines (webhook events untagged); the file every line as JSON", () => {
  const { file, printed, directory } = write(false);
  expect(readdirSync(directory)).toEqual(["rehearsal-20261207-161058.log"]);
  expect(file).toBe(join(directory, "rehearsal-20261207-161058.log"));
  expect(printed).toEqual([
    "[local] moto_server on http://127.0.0.1:5000",
    "16:10:58 g                  webhook m-1  delivered to application in 4 ms",
    "[local] stopped (after the file was closed: the terminal only)",
  ]);
  const entries = readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(entries).toEqual([
    { timestamp: AT.toISOString(), from: "local", message: "moto_server on http://127.0.0.1:5000" },
    { from: "forwarder", ...(JSON.parse(FUNCTION_LINE) as object) },
    { timestamp: AT.toISOString(), from: "gateway", message: "POST /sqs-hook -> 200 (SendMessage group g MessageId m-1)" },
    { timestamp: AT.toISOString(), from: WEBHOOK_EVENTS, message: "16:10:58 g                  webhook m-1  delivered to application in 4 ms" },
  ]);
});

test("--verbose prints every line, tagged, as before", () => {
  expect(write(true).printed).toEqual([
    "[local] moto_server on http://127.0.0.1:5000",
    `[forwarder] ${FUNCTION_LINE}`,
    "[gateway] POST /sqs-hook -> 200 (SendMessage group g MessageId m-1)",
    "16:10:58 g                  webhook m-1  delivered to application in 4 ms",
    "[local] stopped (after the file was closed: the terminal only)",
  ]);
});

test("a function's JSON line is kept as it was written, `from` added in front; anything else becomes a message", () => {
  expect(fileLine("forwarder", FUNCTION_LINE, AT)).toBe(`{"from":"forwarder",${FUNCTION_LINE.slice(1)}`);
  for (const text of ["{}", "{not json}", "Task timed out after 5.00 seconds", '{"a":1} trailing']) {
    expect(JSON.parse(fileLine("forwarder", text, AT))).toEqual({ timestamp: AT.toISOString(), from: "forwarder", message: text });
  }
});

test("what a webhook shaped reaches the terminal escaped (with --verbose too); the file keeps it as the function wrote it", () => {
  const directory = join(scratch, "hostile");
  const printed: string[] = [];
  const opened = openRehearsalLog({ directory, verbose: true, print: (line) => printed.push(line), now: () => AT });
  const logged = JSON.stringify({ level: "INFO", message: "webhook received", body: "ok\r\u001b[2Kforged\u009b\u202e" });
  opened.log.detail("application", logged);
  opened.log("app", "#1 delivered body=ok\r\u001b[2Kforged");
  opened.close();
  expect(printed).toEqual([
    '[application] {"level":"INFO","message":"webhook received","body":"ok\\r\\u001b[2Kforged\\u009b\\u202e"}',
    "[app] #1 delivered body=ok\\r\\x1b[2Kforged",
  ]);
  // eslint-disable-next-line no-control-regex
  expect(printed.join("")).not.toMatch(/[\u0000-\u001f\u009b\u202e]/);
  const entries = readFileSync(opened.file, "utf8").trimEnd().split("\n");
  expect(JSON.parse(entries[0]).body).toBe("ok\r\u001b[2Kforged\u009b\u202e");
});
