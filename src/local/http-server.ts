/** The small HTTP servers of `npm run local` (gateway, dummy application): JSON in and out, on 127.0.0.1 only. */
import { createServer, IncomingMessage } from "node:http";
import { AddressInfo } from "node:net";
import { text } from "node:stream/consumers";

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoopbackServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Closes the server and every connection still open. */
  stop(): Promise<void>;
}

export type JsonHandler = (request: IncomingMessage, url: URL, body: string) => Promise<JsonAnswer>;

/** Serves `handle` on 127.0.0.1 (`port` 0: a free one); a handler that throws answers 500. */
export async function serveJson(handle: JsonHandler, port = 0): Promise<LoopbackServer> {
  const server = createServer(async (request, response) => {
    let answer: JsonAnswer;
    try {
      const body = await text(request);
      answer = await handle(request, new URL(request.url ?? "/", "http://127.0.0.1"), body);
    } catch {
      answer = { status: 500, body: { message: "Internal Server Error" } };
    }
    const payload = JSON.stringify(answer.body);
    response.writeHead(answer.status, { ...answer.headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
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
