/**
 * Real HTTP(S) webhook targets on 127.0.0.1 with injectable faults, for the forwarder
 * tests and the benchmark. Each target records what it received and counts the TCP
 * connections it accepted.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http, { type IncomingHttpHeaders, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** How a target answers a request, called once the whole request body has arrived. */
export type Reply = (request: ReceivedRequest, response: ServerResponse) => void;

export const answer =
  (status: number): Reply =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end('{"ok":true}');
  };
/** Never answers. */
export const hang: Reply = () => undefined;
/** Drops the TCP connection without an answer. */
export const resetConnection: Reply = (_request, response) => response.socket?.destroy();
/** Sends a 200 status line and headers, then never finishes the body. */
export const stallBody: Reply = (_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.write('{"ok":');
};

export interface LocalTarget {
  /** http(s)://127.0.0.1:<port>/hook (https targets use localhost, the certificate's name). */
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface Certificate {
  readonly key: string;
  readonly cert: string;
  /** PEM file of `cert`, for NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
  remove(): void;
}

/** Starts a target; with `certificate` it speaks HTTPS. */
export async function startTarget(reply: Reply = answer(200), certificate?: Certificate): Promise<LocalTarget> {
  const received: ReceivedRequest[] = [];
  const onRequest = (request: http.IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = { method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      reply(entry, response);
    });
  };
  const server = certificate ? https.createServer({ key: certificate.key, cert: certificate.cert }, onRequest) : http.createServer(onRequest);
  server.keepAliveTimeout = 60_000;
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: certificate ? `https://localhost:${port}/hook` : `http://127.0.0.1:${port}/hook`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens: a port that was just free. */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

/**
 * A host name that fails to resolve without any packet leaving the machine: glibc refuses
 * a label longer than 63 octets (RFC 1035) before querying, and `.invalid` (RFC 2606)
 * could never resolve anyway. A plain `x.invalid` would still be sent to the resolver.
 */
export const UNRESOLVABLE_URL = `http://${"x".repeat(64)}.invalid/hook`;

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl. */
export function selfSignedCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), "forwarder-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return {
    key: readFileSync(keyFile, "utf8"),
    cert: readFileSync(certFile, "utf8"),
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
