/**
 * One HTTP POST of a message body to one target, and what its result means.
 *
 * node:http(s) with a keep-alive Agent rather than fetch: fetch loads undici on first
 * use, so a cold start's first delivery took about 33 ms against 17 ms, and it forwarded
 * about 25% fewer messages per second over HTTPS (half as many over plain HTTP).
 * `npm run bench:forwarder` measures both.
 */
import http from "node:http";
import https from "node:https";

/** What came back from one POST; `classifyDelivery` says what it means. */
export interface DeliveryAttempt {
  /** HTTP status, when a status line arrived. */
  readonly status?: number;
  /** Node error code (ECONNREFUSED, ENOTFOUND, ECONNRESET, ...) when the exchange broke. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** True when the exchange was cut at the timeout. */
  readonly timedOut: boolean;
  readonly latencyMs: number;
  /** The answer's Retry-After header, as sent (seconds or an HTTP date). */
  readonly retryAfter?: string;
}

export type DeliveryOutcome =
  "delivered" | "client-error" | "throttled" | "server-error" | "unexpected-status" | "timeout" | "dns-error" | "connection-error";

/**
 * Kept-alive sockets idle longer than this are closed instead of reused. A Lambda
 * sandbox is frozen between invocations, so it cannot see a target close an idle
 * connection; a request written on such a socket fails with ECONNRESET and would fail
 * (and re-queue) a message for nothing. 4 s sits below common server idle timeouts
 * (Node.js 5 s, load balancers and API gateways 60 s and more).
 */
export const IDLE_SOCKET_LIMIT_MS = 4_000;

/** Node's codes for a name that did not resolve (read at each call, so that mutation tests can reach them). */
const isDnsError = (code: string) => ["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"].includes(code);

/** Per URL scheme: the request function and its keep-alive pool. */
const transports = {
  "http:": { request: http.request, agent: new http.Agent({ keepAlive: true }) },
  "https:": { request: https.request, agent: new https.Agent({ keepAlive: true }) },
};
let lastExchangeEndedAt = 0;

/** Only a 2xx whose whole answer arrived within the timeout delivers. */
export function classifyDelivery(attempt: DeliveryAttempt): DeliveryOutcome {
  if (attempt.timedOut) return "timeout";
  if (attempt.errorCode !== undefined) {
    return isDnsError(attempt.errorCode) ? "dns-error" : "connection-error";
  }
  const status = attempt.status ?? 0;
  if (status >= 200 && status <= 299) return "delivered";
  if (status === 429) return "throttled";
  if (status >= 400 && status <= 499) return "client-error";
  if (status >= 500 && status <= 599) return "server-error";
  return "unexpected-status";
}

export function isIdleTooLong(lastUsedAt: number, now: number, limitMs = IDLE_SOCKET_LIMIT_MS): boolean {
  return now - lastUsedAt > limitMs;
}

/**
 * POSTs `body` (its UTF-8 bytes, unchanged) as application/json, with `headers` added. Never
 * rejects: every fault becomes a `DeliveryAttempt`. The timeout covers connecting, the status
 * line and the response body, which is read to the end so the socket goes back to the pool.
 */
export function postJson(url: URL, body: string, timeoutMs: number, headers: Readonly<Record<string, string>> = {}): Promise<DeliveryAttempt> {
  // Wall-clock time, which surely advances while the sandbox is frozen.
  if (isIdleTooLong(lastExchangeEndedAt, Date.now())) closeIdleSockets();
  const startedAt = performance.now();
  const payload = Buffer.from(body);
  const { request: send, agent } = transports[url.protocol as keyof typeof transports];
  return new Promise((resolve) => {
    let timedOut = false;
    // The first outcome counts (the promise settles once): an answer cut short by our own
    // timeout is a timeout.
    const settle = (result: Omit<DeliveryAttempt, "timedOut" | "latencyMs">): void => {
      clearTimeout(timer);
      lastExchangeEndedAt = Date.now();
      resolve({ ...result, timedOut, latencyMs: Math.round(performance.now() - startedAt) });
    };
    const request = send(
      url,
      { method: "POST", agent, headers: { ...headers, "content-type": "application/json", "content-length": payload.length } },
      (response) => {
        const status = response.statusCode;
        const retryAfter = response.headers["retry-after"];
        response.on("end", () => settle({ status, ...(retryAfter !== undefined && { retryAfter }) }));
        // A body cut short (the peer closed, or our timeout destroyed the request) is an error here: ECONNRESET "aborted".
        response.on("error", (error: NodeJS.ErrnoException) => settle({ status, ...describe(error) }));
        response.resume();
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => settle(describe(error)));
    const timer = setTimeout(
      () => {
        timedOut = true;
        request.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
      },
      Math.max(0, timeoutMs),
    );
    request.end(payload);
  });
}

function describe(error: NodeJS.ErrnoException): { errorCode: string; errorMessage: string } {
  return { errorCode: error.code ?? error.name, errorMessage: error.message };
}

function closeIdleSockets(): void {
  for (const { agent } of Object.values(transports)) {
    for (const sockets of Object.values(agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }
}
