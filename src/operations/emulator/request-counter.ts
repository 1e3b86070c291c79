/**
 * A counting proxy in front of moto_server: every request is forwarded as it came (Host
 * included, so the queue URLs moto writes name the proxy, and the SQS clients that take their
 * endpoint from a queue URL stay behind it) and tallied by service and action. Point every
 * component at it (the local gateway, the local event source mapping, the function's own
 * AWS_ENDPOINT_URL) and it counts the AWS calls of all of them: what a bill counts.
 */
import { Agent, createServer, IncomingHttpHeaders, request as httpRequest } from "node:http";
import { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";

/** One request as the proxy forwarded it. */
export interface AwsCall {
  /** From the SigV4 credential scope (`sqs`, `dynamodb`, `ssm`, `lambda`...), else the X-Amz-Target prefix; `unknown` without either. */
  readonly service: string;
  /** The X-Amz-Target operation, the query protocol's `Action`, else `<METHOD> <path>` (REST). */
  readonly action: string;
  readonly status: number;
  readonly request: Buffer;
  readonly response: Buffer;
}

/** Per service, per action: how many requests, and their bytes each way. */
export type AwsCallCounts = Record<string, Record<string, { requests: number; requestBytes: number; responseBytes: number }>>;

export interface RequestCounter {
  /** e.g. http://127.0.0.1:41234: use it wherever the emulator's endpoint would go. */
  readonly endpoint: string;
  /** What was counted since the start or the last reset (a copy). */
  counts(): AwsCallCounts;
  reset(): void;
  /** Closes the proxy and every connection still open. */
  stop(): Promise<void>;
}

export interface RequestCounterOptions {
  /** Where requests go, e.g. moto_server's endpoint. */
  readonly upstream: string;
  /** Each request once answered (e.g. to read a batch's keys); it must not throw. */
  readonly onCall?: (call: AwsCall) => void;
}

/** Headers that describe one connection, not the request: never passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

/** The X-Amz-Target prefixes of the JSON protocols, by service (used when a request carries no SigV4 scope). */
const TARGET_SERVICES: Readonly<Record<string, string>> = {
  AmazonSQS: "sqs",
  AmazonSSM: "ssm",
  Logs_20140328: "logs",
  GraniteServiceVersion20100801: "cloudwatch",
  AWSSecurityTokenServiceV20110615: "sts",
};

/** Service and action of a request to an AWS endpoint, by the protocol it speaks. */
export function classifyAwsRequest(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): Pick<AwsCall, "service" | "action"> {
  const target = headerValue(headers["x-amz-target"]);
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(headerValue(headers.authorization) ?? "");
  const [targetPrefix, targetAction] = target ? splitTarget(target) : [undefined, undefined];
  const service =
    scope?.[1] ??
    (targetPrefix && (TARGET_SERVICES[targetPrefix] ?? (targetPrefix.startsWith("DynamoDB_") ? "dynamodb" : targetPrefix))) ??
    "unknown";
  if (targetAction) return { service, action: targetAction };
  const parsed = new URL(url, "http://127.0.0.1");
  const queryAction = parsed.searchParams.get("Action");
  if (queryAction) return { service, action: queryAction };
  const contentType = headerValue(headers["content-type"]) ?? "";
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const formAction = new URLSearchParams(body.toString("utf8")).get("Action");
    if (formAction) return { service, action: formAction };
  }
  return { service, action: `${method} ${parsed.pathname}` };
}

/** Starts the proxy on 127.0.0.1 (a free port). */
export async function startRequestCounter(options: RequestCounterOptions): Promise<RequestCounter> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });
  let counts: AwsCallCounts = {};
  const server = createServer(async (incoming, outgoing) => {
    try {
      const body = await buffer(incoming);
      const method = incoming.method ?? "GET";
      const path = incoming.url ?? "/";
      const { service, action } = classifyAwsRequest(method, path, incoming.headers, body);
      const headers = Object.fromEntries(Object.entries(incoming.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolveAnswer, reject) => {
        const forwarded = httpRequest(
          { host: upstream.hostname, port: upstream.port, method, path, headers: { ...headers, "content-length": String(body.length) }, agent },
          (response) => {
            buffer(response).then(
              (responseBody) => resolveAnswer({ status: response.statusCode ?? 502, headers: response.headers, body: responseBody }),
              reject,
            );
          },
        );
        forwarded.once("error", reject);
        forwarded.end(body);
      });
      const perService = (counts[service] ??= {});
      const tally = (perService[action] ??= { requests: 0, requestBytes: 0, responseBytes: 0 });
      tally.requests++;
      tally.requestBytes += body.length;
      tally.responseBytes += answer.body.length;
      options.onCall?.({ service, action, status: answer.status, request: body, response: answer.body });
      const answerHeaders = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      outgoing.writeHead(answer.status, { ...answerHeaders, "content-length": String(answer.body.length) });
      outgoing.end(answer.body);
    } catch (error) {
      // Not counted: the emulator never saw it (a caller retries, as it would against AWS).
      outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end(`request counter: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(0, "127.0.0.1", () => listening());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => structuredClone(counts),
    reset: () => {
      counts = {};
    },
    stop: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `AmazonSQS.SendMessage` -> [`AmazonSQS`, `SendMessage`]. */
function splitTarget(target: string): [string, string | undefined] {
  const dot = target.lastIndexOf(".");
  return dot < 0 ? [target, undefined] : [target.slice(0, dot), target.slice(dot + 1)];
}
