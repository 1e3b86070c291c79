import { spawn } from "node:child_process";
import { classifyDelivery, type DeliveryAttempt, IDLE_SOCKET_LIMIT_MS, isIdleTooLong, postJson } from "../../../lambda/forwarder/delivery";
import {
  answer,
  hang,
  type LocalTarget,
  type Reply,
  refusedUrl,
  resetConnection,
  selfSignedCertificate,
  stallBody,
  startTarget,
} from "../../support/local-targets";

const answered = (status: number): DeliveryAttempt => ({ status, timedOut: false, latencyMs: 3 });
const broken = (errorCode: string): DeliveryAttempt => ({ errorCode, errorMessage: errorCode, timedOut: false, latencyMs: 3 });

describe("classifyDelivery", () => {
  test.each([200, 201, 202, 204, 299])("%i delivers", (status) => {
    expect(classifyDelivery(answered(status))).toBe("delivered");
  });

  test.each([
    [400, "client-error"],
    [404, "client-error"],
    [410, "client-error"],
    [429, "throttled"],
    [500, "server-error"],
    [502, "server-error"],
    [503, "server-error"],
    [100, "unexpected-status"],
    [301, "unexpected-status"],
    [304, "unexpected-status"],
    [600, "unexpected-status"],
  ])("%i is %s", (status, outcome) => {
    expect(classifyDelivery(answered(status))).toBe(outcome);
  });

  test.each([
    ["ENOTFOUND", "dns-error"],
    ["EAI_AGAIN", "dns-error"],
    ["EAI_FAIL", "dns-error"],
    ["EAI_NODATA", "dns-error"],
    ["EAI_NONAME", "dns-error"],
    ["ECONNREFUSED", "connection-error"],
    ["ECONNRESET", "connection-error"],
    ["CERT_HAS_EXPIRED", "connection-error"],
  ])("%s is %s", (code, outcome) => {
    expect(classifyDelivery(broken(code))).toBe(outcome);
  });

  test("a 200 whose body was cut short is not delivered", () => {
    expect(classifyDelivery({ ...answered(200), errorCode: "ECONNRESET" })).toBe("connection-error");
  });

  test("anything cut at the timeout is a timeout, even after a 200 status line", () => {
    expect(classifyDelivery({ ...answered(200), timedOut: true })).toBe("timeout");
    expect(classifyDelivery({ ...broken("ECONNRESET"), timedOut: true })).toBe("timeout");
  });

  test("no status and no error is not delivered", () => {
    expect(classifyDelivery({ timedOut: false, latencyMs: 0 })).toBe("unexpected-status");
  });
});

describe("isIdleTooLong", () => {
  test("a socket idle longer than the limit is not reused", () => {
    expect(isIdleTooLong(10_000, 10_000 + IDLE_SOCKET_LIMIT_MS)).toBe(false);
    expect(isIdleTooLong(10_000, 10_000 + IDLE_SOCKET_LIMIT_MS + 1)).toBe(true);
  });
});

describe("classifyDelivery: the edges of each range", () => {
  test.each([
    [199, "unexpected-status"],
    [300, "unexpected-status"],
    [399, "unexpected-status"],
    [428, "client-error"],
    [430, "client-error"],
    [499, "client-error"],
    [501, "server-error"],
    [599, "server-error"],
  ])("%i is %s", (status, outcome) => {
    expect(classifyDelivery(answered(status))).toBe(outcome);
  });

  test.each(["EAI_FAIL", "EAI_NODATA", "EAI_NONAME"])("%s is a DNS error", (code) => {
    expect(classifyDelivery(broken(code))).toBe("dns-error");
  });
});

describe("postJson against real targets on 127.0.0.1", () => {
  let targets: LocalTarget[] = [];

  async function target(reply?: Reply): Promise<LocalTarget> {
    const started = await startTarget(reply);
    targets.push(started);
    return started;
  }

  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(targets.map((started) => started.close()));
    targets = [];
  });

  test("a 2xx: the status, no error, not timed out, and how long it took", async () => {
    const application = await target(answer(202));

    const attempt = await postJson(new URL(application.url), "{}", 2_000);

    expect(attempt).toEqual({ status: 202, timedOut: false, latencyMs: expect.any(Number) });
    expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
    expect(attempt.latencyMs).toBeLessThan(2_000);
  });

  test("POSTs the body's UTF-8 bytes unchanged as application/json, with the given headers added", async () => {
    const application = await target();
    const body = '{"name":"山田 太郎","emoji":"🎉"}';

    await postJson(new URL(`${application.url}?tenant=a`), body, 2_000, { "webhook-id": "msg_1", "x-webhook-source": "github" });

    const [request] = application.received;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/hook?tenant=a");
    expect(request.body.equals(Buffer.from(body, "utf8"))).toBe(true);
    expect(request.headers).toMatchObject({
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "webhook-id": "msg_1",
      "x-webhook-source": "github",
    });
  });

  test("the given headers cannot replace the content type or the length", async () => {
    const application = await target();

    await postJson(new URL(application.url), "{}", 2_000, { "content-type": "text/plain", "content-length": "999" });

    expect(application.received[0].headers).toMatchObject({ "content-type": "application/json", "content-length": "2" });
    expect(application.received[0].body.toString()).toBe("{}");
  });

  test("any status is reported as it came, 3xx not followed", async () => {
    const moved = await target((_request, response) => {
      response.writeHead(301, { location: "http://127.0.0.1:1/elsewhere" });
      response.end();
    });

    await expect(postJson(new URL(moved.url), "{}", 2_000)).resolves.toMatchObject({ status: 301, timedOut: false });
    expect(moved.received).toHaveLength(1);
  });

  test("no answer within the timeout: cut there, and said so", async () => {
    const slow = await target(hang);

    const started = Date.now();
    const attempt = await postJson(new URL(slow.url), "{}", 200);

    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(attempt).toEqual({ timedOut: true, errorCode: "Error", errorMessage: "no complete answer within 200 ms", latencyMs: expect.any(Number) });
  });

  test("a status line in time but a body that never ends is a timeout too", async () => {
    const stalling = await target(stallBody);

    const attempt = await postJson(new URL(stalling.url), "{}", 200);

    expect(attempt).toMatchObject({ timedOut: true, errorMessage: "no complete answer within 200 ms" });
    expect(classifyDelivery(attempt)).toBe("timeout");
  });

  test("a target that answers within the timeout is not cut", async () => {
    const application = await target((request, response) => setTimeout(() => answer(200)(request, response), 100));

    await expect(postJson(new URL(application.url), "{}", 1_000)).resolves.toMatchObject({ status: 200, timedOut: false });
  });

  test("a negative timeout cuts at once rather than never", async () => {
    const slow = await target(hang);

    await expect(postJson(new URL(slow.url), "{}", -1)).resolves.toMatchObject({ timedOut: true });
  });

  test("a body cut short after a 200 is a broken exchange, with the status kept", async () => {
    const cut = await target((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write('{"ok":');
      setTimeout(() => response.socket?.destroy(), 20);
    });

    const attempt = await postJson(new URL(cut.url), "{}", 2_000);

    expect(attempt).toMatchObject({ status: 200, errorCode: "ECONNRESET", errorMessage: "aborted", timedOut: false });
    expect(classifyDelivery(attempt)).toBe("connection-error");
  });

  test("a connection dropped before any answer: the node error code, no status", async () => {
    const dropping = await target(resetConnection);

    const attempt = await postJson(new URL(dropping.url), "{}", 2_000);

    expect(attempt).toEqual({ errorCode: "ECONNRESET", errorMessage: "socket hang up", timedOut: false, latencyMs: expect.any(Number) });
  });

  test("nothing listening: connection refused, never a rejection", async () => {
    const url = await refusedUrl();

    await expect(postJson(new URL(url), "{}", 2_000)).resolves.toMatchObject({ errorCode: "ECONNREFUSED", timedOut: false });
  });

  test("an https URL is spoken to in TLS (the certificate of this target is not trusted here)", async () => {
    const certificate = selfSignedCertificate();
    try {
      const secure = await startTarget(answer(200), certificate);
      targets.push(secure);

      const attempt = await postJson(new URL(secure.url), "{}", 2_000);

      expect(attempt).toMatchObject({ errorCode: "DEPTH_ZERO_SELF_SIGNED_CERT", timedOut: false });
      expect(secure.received).toHaveLength(0);
    } finally {
      certificate.remove();
    }
  });

  test("keep-alive: requests one after another share one connection", async () => {
    const application = await target();

    for (let i = 0; i < 3; i++) await expect(postJson(new URL(application.url), "{}", 2_000)).resolves.toMatchObject({ status: 200 });

    expect(application.received).toHaveLength(3);
    expect(application.connections()).toBe(1);
  });

  test("after more than 4 s of wall-clock time without an exchange (a frozen sandbox), kept connections are closed first", async () => {
    const application = await target();
    const other = await target();
    jest.useFakeTimers({
      doNotFake: [
        "hrtime",
        "nextTick",
        "performance",
        "queueMicrotask",
        "setImmediate",
        "clearImmediate",
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
      ],
    });
    const post = (url: string) => postJson(new URL(url), "{}", 2_000);

    await post(application.url);
    await post(other.url);
    jest.setSystemTime(Date.now() + IDLE_SOCKET_LIMIT_MS);
    await post(application.url);
    expect(application.connections()).toBe(1);

    jest.setSystemTime(Date.now() + IDLE_SOCKET_LIMIT_MS + 1);
    await post(application.url);
    await post(other.url);

    expect(application.received).toHaveLength(3);
    expect(application.connections()).toBe(2);
    expect(other.connections()).toBe(2);
  });

  test("HTTPS: requests one after another share one TLS connection (run in its own process, which trusts the target)", async () => {
    const certificate = selfSignedCertificate();
    try {
      const secure = await startTarget(answer(200), certificate);
      targets.push(secure);
      const script = `
        const { postJson } = require(process.argv[1]);
        (async () => {
          const attempts = [];
          for (let i = 0; i < 3; i++) attempts.push(await postJson(new URL(process.argv[2]), "{}", 5000));
          process.stdout.write(JSON.stringify(attempts.map((attempt) => attempt.status ?? attempt.errorCode)));
        })();`;
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script, require.resolve("../../../lambda/forwarder/delivery"), secure.url], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certFile },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise((resolve) => child.on("close", resolve));

      expect({ code, stdout }).toEqual({ code: 0, stdout: "[200,200,200]" });
      expect(secure.received).toHaveLength(3);
      expect(secure.connections()).toBe(1);
    } finally {
      certificate.remove();
    }
  }, 15_000);
});
