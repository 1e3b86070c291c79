/** The small HTTP servers of `npm run local` (gateway, rehearsal controls) and of the tests: on 127.0.0.1 only. */
import { createServer, IncomingMessage } from "node:http";
import { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";

export interface HttpAnswer {
  readonly status: number;
  /** Bytes as they are (say what they are in `headers`); any other value is sent as JSON. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export interface LoopbackServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Closes the server and every connection still open. */
  stop(): Promise<void>;
}

export type HttpHandler = (request: IncomingMessage, url: URL, body: Buffer) => Promise<HttpAnswer>;

/** Serves `handle` on 127.0.0.1 (`port` 0: a free one); a handler that throws answers 500. */
export async function serveHttp(handle: HttpHandler, port = 0): Promise<LoopbackServer> {
  const server = createServer(async (request, response) => {
    let answer: HttpAnswer;
    try {
      const body = await buffer(request);
      answer = await handle(request, new URL(request.url ?? "/", "http://127.0.0.1"), body);
    } catch {
      answer = { status: 500, body: { message: "Internal Server Error" } };
    }
    const raw = Buffer.isBuffer(answer.body);
    const payload = raw ? (answer.body as Buffer) : Buffer.from(JSON.stringify(answer.body));
    response.writeHead(answer.status, {
      ...(raw ? {} : { "content-type": "application/json" }),
      ...answer.headers,
      "content-length": payload.length,
    });
    response.end(payload);
  });
  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(port, "127.0.0.1", () => listening());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}
