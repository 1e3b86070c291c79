/**
 * Retries inside the queue: when to try again, and when the budget is spent.
 */
import type { SQSRecord } from "aws-lambda";
import { DEFAULT_RETRY_POLICY } from "../../../lambda/forwarder/contract";
import { failedRecordOf, retryAfterSeconds, retryDecision } from "../../../lambda/forwarder/retry";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const policy = DEFAULT_RETRY_POLICY;
const sentSecondsAgo = (seconds: number) => NOW - seconds * 1000;

describe("retryDecision", () => {
  test("the first failure waits between half the first backoff and all of it, by the jitter", () => {
    const low = retryDecision({ receiveCount: 1, sentAtMs: sentSecondsAgo(1) }, { policy, nowMs: NOW, random: () => 0 });
    const high = retryDecision({ receiveCount: 1, sentAtMs: sentSecondsAgo(1) }, { policy, nowMs: NOW, random: () => 0.999 });
    expect(low).toEqual({ retryInSeconds: 3 }); // ceil(2.5)
    expect(high).toEqual({ retryInSeconds: 5 });
  });

  test("later receives wait longer, up to maxDelaySeconds", () => {
    const wait = (receiveCount: number) => retryDecision({ receiveCount, sentAtMs: sentSecondsAgo(10) }, { policy, nowMs: NOW, random: () => 0.999 });
    expect([2, 3, 4, 7, 20].map((receive) => wait(receive))).toEqual([
      { retryInSeconds: 10 },
      { retryInSeconds: 20 },
      { retryInSeconds: 40 },
      { retryInSeconds: 300 },
      { retryInSeconds: 300 },
    ]);
  });

  test("a target's Retry-After lengthens the wait, never beyond maxDelaySeconds, and never shortens it", () => {
    const decide = (retryAfterSeconds: number, receiveCount = 1) =>
      retryDecision({ receiveCount, sentAtMs: sentSecondsAgo(1), retryAfterSeconds }, { policy, nowMs: NOW, random: () => 0 });
    expect(decide(120)).toEqual({ retryInSeconds: 120 });
    expect(decide(86_400)).toEqual({ retryInSeconds: 300 });
    expect(decide(1, 7)).toEqual({ retryInSeconds: 150 });
  });

  test("the last retry falls at the end of the budget", () => {
    expect(retryDecision({ receiveCount: 20, sentAtMs: sentSecondsAgo(3590) }, { policy, nowMs: NOW, random: () => 0.999 })).toEqual({
      retryInSeconds: 10,
    });
  });

  test("a webhook in the queue for the budget is dead-lettered, saying how long it failed", () => {
    const decision = retryDecision({ receiveCount: 25, sentAtMs: sentSecondsAgo(3600) }, { policy, nowMs: NOW });
    expect(decision).toEqual({ deadLetter: "failing for 3600 s, the retry budget (forwarder.retry.maxAgeSeconds) is 3600 s" });
  });

  test("on the queue's last receive before SQS would move it, the forwarder dead-letters it itself (so its group is held)", () => {
    const decision = retryDecision({ receiveCount: 70, sentAtMs: sentSecondsAgo(60) }, { policy, nowMs: NOW, maxReceiveCount: 70 });
    expect(decision).toEqual({
      deadLetter: "received 70 times, the queue's maxReceiveCount: SQS would move it to the DLQ on the next receive, without holding its group",
    });
    expect(retryDecision({ receiveCount: 69, sentAtMs: sentSecondsAgo(60) }, { policy, nowMs: NOW, maxReceiveCount: 70 })).toHaveProperty(
      "retryInSeconds",
    );
  });

  test("a record without a SentTimestamp is dead-lettered rather than retried forever", () => {
    expect(retryDecision({ receiveCount: 1, sentAtMs: Number.NaN }, { policy, nowMs: NOW })).toEqual({
      deadLetter: "no SentTimestamp: its age in the queue is unknown",
    });
  });
});

describe("retryAfterSeconds", () => {
  test("delta-seconds and HTTP dates; nothing else", () => {
    expect(retryAfterSeconds("120", NOW)).toBe(120);
    expect(retryAfterSeconds(" 0 ", NOW)).toBe(0);
    expect(retryAfterSeconds(new Date(NOW + 90_500).toUTCString(), NOW)).toBe(90);
    expect(retryAfterSeconds(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
    expect(retryAfterSeconds(undefined, NOW)).toBeUndefined();
    expect(retryAfterSeconds("-5", NOW)).toBeUndefined();
    expect(retryAfterSeconds("1e9", NOW)).toBeUndefined();
    expect(retryAfterSeconds("soon", NOW)).toBeUndefined();
    expect(retryAfterSeconds("2026", NOW)).toBe(2026);
  });
});

describe("failedRecordOf", () => {
  test("reads the receive count and the send time SQS wrote", () => {
    const record = { attributes: { ApproximateReceiveCount: "4", SentTimestamp: String(NOW) } } as unknown as SQSRecord;
    expect(failedRecordOf(record, 30)).toEqual({ receiveCount: 4, sentAtMs: NOW, retryAfterSeconds: 30 });
    expect(failedRecordOf({ attributes: {} } as unknown as SQSRecord)).toEqual({ receiveCount: 1, sentAtMs: Number.NaN });
  });
});
