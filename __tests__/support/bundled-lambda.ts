/**
 * Loads a function of lambda/ the way Lambda does: `require` of the one bundled file from
 * bundleLambda() (jest transforms only .ts, so the file runs as built), fresh each time.
 */
import type { Context, SQSBatchResponse } from "aws-lambda";
import { bundleLambda, LambdaName } from "../../src/infrastructure/bundling/bundle";

export type ForwarderHandler = (event: unknown, context?: Context) => Promise<SQSBatchResponse>;

/** Requires a fresh copy of the bundle: new module state, new keep-alive pools, new logger. */
export function loadBundledHandler<H = ForwarderHandler>(name: LambdaName = "forwarder"): H {
  const { file } = bundleLambda(name);
  let handler: H | undefined;
  jest.isolateModules(() => {
    handler = (require(file) as { handler: H }).handler;
  });
  if (handler === undefined) throw new Error(`${file} exports no handler`);
  return handler;
}

const ENV_KEYS = [
  "SOURCES",
  "QUARANTINE_QUEUE_URL",
  "FORWARD_TIMEOUT_MS",
  "POWERTOOLS_LOG_LEVEL",
  "POWERTOOLS_SERVICE_NAME",
  "QUEUE_URL",
  "DEAD_LETTER_QUEUE_URL",
  "HELD_GROUPS_TABLE",
  "RETRY_POLICY",
  "MAX_RECEIVE_COUNT",
  "AWS_ENDPOINT_URL",
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
] as const;
type ForwarderEnv = Partial<Record<(typeof ENV_KEYS)[number], string>>;

/** Replaces the forwarder's environment; returns a function that puts the old one back. */
export function setForwarderEnv(env: ForwarderEnv): () => void {
  const saved = ENV_KEYS.map((key) => [key, process.env[key]] as const);
  for (const key of ENV_KEYS) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** Collects what is written to stdout and stderr (the logger's JSON lines) instead of printing it. */
export function captureOutput(): { lines(): string[]; restore(): void } {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }),
  );
  return {
    lines: () =>
      written
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== ""),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/** The JSON log entries among the captured lines. */
export function logEntries(lines: string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
