import { defaultForwardTimeoutMs, parseForwardTimeoutMs } from "../../../lambda/forwarder/contract";
import { DEFAULT_FORWARD_TIMEOUT_MS, recordTimeouts } from "../../../lambda/forwarder/timeout";

describe("parseForwardTimeoutMs", () => {
  test("unset or blank means no configured timeout", () => {
    expect(parseForwardTimeoutMs(undefined)).toBeUndefined();
    expect(parseForwardTimeoutMs("")).toBeUndefined();
  });

  test("reads a positive whole number of milliseconds", () => {
    expect(parseForwardTimeoutMs("2500")).toBe(2500);
  });

  test.each(["0", "-1", "1.5", "2s", "NaN", "1e400"])("refuses %s", (raw) => {
    expect(() => parseForwardTimeoutMs(raw)).toThrow(`FORWARD_TIMEOUT_MS must be a positive whole number of milliseconds; got "${raw}"`);
  });
});

describe("defaultForwardTimeoutMs (the stack's rule)", () => {
  test("the function timeout less 5 s, shared by the records of a batch, at least 1 s", () => {
    expect(defaultForwardTimeoutMs(60, 1)).toBe(55_000);
    expect(defaultForwardTimeoutMs(30, 10)).toBe(2_500);
    expect(defaultForwardTimeoutMs(60, 7)).toBe(7_857);
    expect(defaultForwardTimeoutMs(5, 1)).toBe(1_000);
    expect(defaultForwardTimeoutMs(6, 1)).toBe(1_000);
    expect(defaultForwardTimeoutMs(7, 1)).toBe(2_000);
  });
});

describe("recordTimeouts", () => {
  const clock = (startMs: number) => {
    let remaining = startMs;
    return { remainingMs: () => remaining, spend: (ms: number) => (remaining -= ms) };
  };

  test("without a Lambda context: the configured timeout, else the 10 s default", () => {
    expect(recordTimeouts(700, undefined, 10)()).toBe(700);
    expect(recordTimeouts(undefined, undefined, 10)()).toBe(DEFAULT_FORWARD_TIMEOUT_MS);
  });

  test("unset: an equal share of the remaining time less the reserve (a fifth, at most 5 s)", () => {
    expect(recordTimeouts(undefined, clock(60_000).remainingMs, 10)()).toBe(5_500);
    expect(recordTimeouts(undefined, clock(3_000).remainingMs, 2)()).toBe(1_200);
  });

  test("the configured timeout is used while time allows", () => {
    expect(recordTimeouts(2_000, clock(60_000).remainingMs, 10)()).toBe(2_000);
  });

  test("a record never gets more than the remaining time less the reserve", () => {
    const time = clock(30_000);
    const next = recordTimeouts(20_000, time.remainingMs, 3);
    expect(next()).toBe(20_000);
    time.spend(20_000);
    expect(next()).toBe(5_000);
    time.spend(5_000);
    expect(next()).toBe(0);
  });
});
