/**
 * Child process of bench/forwarder.ts (so NODE_EXTRA_CA_CERTS can trust the bench's
 * self-signed certificate): forwards messages with one handler, sequentially, and sends
 * its timings to the parent over IPC.
 *
 * Usage: node --import tsx bench/forwarder-client.ts <forwarder|new-connection|fetch> <bundle file> <messages>
 */
import type { SQSEvent } from "aws-lambda";
import https from "node:https";
import { FORWARDER_ENV, ForwarderSources } from "../../lambda/forwarder/contract";
import { lambdaContext, sqsEvent } from "../support/sqs-events";

export type HandlerKind = "forwarder" | "new-connection" | "fetch";

export interface ClientResult {
  readonly firstMessageMs: number;
  readonly messagesPerSecond: number;
}

type Handler = (event: SQSEvent) => Promise<unknown>;

const GROUP = "mz-dev-sqs-webhook";
const SOURCE = "default";
const BATCH_SIZE = 10;

/** The targets of the bench's one source, from the forwarder's own SOURCES variable. */
const targetUrls = (): string[] =>
  Object.values((JSON.parse(process.env[FORWARDER_ENV.sources] ?? "{}") as ForwarderSources)[SOURCE].targets).map((target) => target.url);

/** Python urllib's way: a fresh TCP connection and TLS handshake for every message. */
const newConnectionHandler: Handler = async (event) => {
  for (const record of event.Records) {
    for (const url of targetUrls()) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = https.request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        });
        request.on("error", reject);
        request.end(record.body);
      });
      if (status < 200 || status > 299) throw new Error(`${url} answered ${status}`);
    }
  }
};

/** fetch (undici, keep-alive by default): the alternative to node:https that the forwarder did not pick. */
const fetchHandler: Handler = async (event) => {
  for (const record of event.Records) {
    for (const url of targetUrls()) {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: record.body });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    }
  }
};

function handlerFor(kind: HandlerKind, bundleFile: string): Handler {
  if (kind === "new-connection") return newConnectionHandler;
  if (kind === "fetch") return fetchHandler;
  const { handler } = require(bundleFile) as { handler: (event: SQSEvent, context: unknown) => Promise<unknown> };
  return (event) => handler(event, lambdaContext(60_000));
}

let sequence = 0;
function batch(size: number): SQSEvent {
  return sqsEvent(
    ...Array.from({ length: size }, () => {
      const messageId = `bench-${++sequence}`;
      const body = JSON.stringify({
        type: "order.created",
        id: messageId,
        customer: { name: "山田 太郎", email: "taro@example.com" },
        items: [{ sku: "A-1", quantity: 2, price: 1980 }],
      });
      return { messageId, group: GROUP, source: SOURCE, body };
    }),
  );
}

async function main(): Promise<void> {
  const [kind, bundleFile, messages] = process.argv.slice(2);
  const handler = handlerFor(kind as HandlerKind, bundleFile);
  let started = performance.now();
  await handler(batch(1));
  const firstMessageMs = performance.now() - started;
  await handler(batch(BATCH_SIZE));
  started = performance.now();
  for (let sent = 0; sent < Number(messages); sent += BATCH_SIZE) await handler(batch(BATCH_SIZE));
  const result: ClientResult = { firstMessageMs, messagesPerSecond: Number(messages) / ((performance.now() - started) / 1000) };
  process.send?.(result, () => process.exit(0));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
