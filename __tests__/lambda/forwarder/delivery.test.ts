import { classifyDelivery, type DeliveryAttempt, IDLE_SOCKET_LIMIT_MS, isIdleTooLong } from "../../../lambda/forwarder/delivery";

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
