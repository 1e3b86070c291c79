/** `send`: POST a test webhook to the stack's API Gateway route (or any --url). */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Command, helpResult, parseCommandArgs } from "../command";
import { CliError, EXIT_FAILURE, EXIT_OK, UsageError } from "../errors";
import { integerOption } from "../options";
import { CommandResult } from "../output";
import { parseRouteKey, readStackOutputs, readWebhookRouteKey } from "../stack-outputs";

const SEND_OPTIONS = {
  url: { type: "string" },
  file: { type: "string" },
  sample: { type: "boolean" },
  "content-type": { type: "string", default: "application/json" },
  header: { type: "string", multiple: true },
  "timeout-ms": { type: "string" },
} as const;

/** A test event; its id makes every sample unique, so content-based deduplication keeps each one. */
export function sampleWebhook(now = new Date()): string {
  return `${JSON.stringify({ id: randomUUID(), type: "webhook-queue.test", sentAt: now.toISOString(), data: { message: "test webhook from webhook-queue send --sample" } }, null, 2)}\n`;
}

/** "Name: value" -> [name, value] */
export function parseHeader(header: string): [string, string] {
  const colon = header.indexOf(":");
  const name = colon > 0 ? header.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`--header ${JSON.stringify(header)} is not allowed: write it as "Name: value"`);
  return [name, header.slice(colon + 1).trim()];
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function requestBody(file: string | undefined, sample: boolean): Promise<Buffer> {
  if ((file === undefined) === !sample) throw new UsageError("give exactly one body: --file PATH, --file - (stdin) or --sample");
  if (sample) return Buffer.from(sampleWebhook());
  if (file === "-") return readStdin();
  try {
    return readFileSync(file!);
  } catch (error) {
    throw new UsageError(`--file ${file} cannot be read: ${(error as Error).message}`);
  }
}

async function target(url: string | undefined, stack: string | undefined, stacksDir: string | undefined): Promise<{ method: string; url: string }> {
  if (url) return { method: "POST", url };
  if (!stack) throw new UsageError("no target: pass --url URL or --stack NAME");
  const { method, path } = parseRouteKey(readWebhookRouteKey(stack, stacksDir));
  const outputs = await readStackOutputs(stack, stacksDir);
  if (!outputs.apigateway_endpoint) throw new CliError(`stack ${stack} has no output apigateway_endpoint: deploy it first`);
  return { method, url: `${outputs.apigateway_endpoint.replace(/\/+$/, "")}${path}` };
}

export const sendCommand: Command = {
  name: "send",
  summary: "POST a test webhook (a file, stdin or a sample) to the stack's route",
  help: `Usage: webhook-queue send (--file PATH | --file - | --sample) [--url URL] [options]

Sends the body byte for byte to the webhook route: apigateway_endpoint + the path of
the stack's route key (from cdk.tf.json), or --url. Prints the HTTP status and the
response body; exits 1 when the answer is not 2xx.

Options:
  --url URL              where to POST (default: the route of --stack NAME)
  --file PATH            the body; "-" reads stdin
  --sample               a small JSON test event, unique each time (so content-based
                         deduplication does not drop a repeated test)
  --content-type TYPE    Content-Type header (default application/json)
  --header "Name: value" an extra header (repeatable)
  --timeout-ms MS        give up after MS milliseconds (default 10000)`,

  async run(args: string[]): Promise<CommandResult> {
    const { global, values } = parseCommandArgs(args, SEND_OPTIONS);
    if (global.help) return helpResult(this);
    const timeoutMs = integerOption("timeout-ms", values["timeout-ms"], 10_000, 1, 600_000);
    const headers = new Headers((values.header ?? []).map(parseHeader));
    headers.set("content-type", values["content-type"]);
    const body = await requestBody(values.file, values.sample ?? false);
    const { method, url } = await target(values.url, global.stack, global.stacksDir);

    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new CliError(`cannot ${method} ${url}: ${cause}`);
    }
    const responseBody = await response.text();
    return {
      document: {
        method,
        url,
        requestBytes: body.length,
        status: response.status,
        ok: response.ok,
        responseHeaders: Object.fromEntries(response.headers),
        responseBody,
      },
      text: `${method} ${url} (${body.length} bytes) -> ${response.status} ${response.statusText}\n${responseBody}`.trimEnd(),
      exitCode: response.ok ? EXIT_OK : EXIT_FAILURE,
    };
  },
};
