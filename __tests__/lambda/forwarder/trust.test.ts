/** What the forwarder trusts about a record: the source by its group, the webhook ID by its deduplication ID, the receive time by SQS's. */
import { createHash } from "node:crypto";
import { parseSources } from "../../../lambda/forwarder/sources";
import {
  legacyWebhookId,
  RECEIVED_AFTER_SENT_MAX_MS,
  RECEIVED_BEFORE_SENT_MAX_MS,
  trustRecord,
  webhookIdOfDeduplication,
} from "../../../lambda/forwarder/trust";
import { sqsRecord } from "../../support/sqs-events";

const sources = parseSources(
  JSON.stringify({
    orders: { group: { static: "orders" }, targets: { app: { url: "https://example.com/hook" } } },
    github: {
      group: { prefix: "github:" },
      targets: { app: { url: "https://example.com/hook" } },
      signature: { scheme: "github", secretParameters: ["/webhooks/github"] },
    },
  }),
);
const orders = sources.get("orders")!;
const github = sources.get("github")!;
const SENT = 1_700_000_000_000;

describe("trustRecord: a record as its route wrote it", () => {
  test("the webhook ID is the deduplication ID (API Gateway's request ID), the receive time the attribute's", () => {
    expect(trustRecord(sqsRecord({ messageId: "m-1", group: "orders", deduplicationId: "Kq0ZXj2xNjMEJdw=" }), orders)).toEqual({
      trusted: { webhookId: "Kq0ZXj2xNjMEJdw=", receivedAtMs: SENT - 25 },
    });
  });

  test("a mapped delivery ID: the deduplication ID without `<source>:`", () => {
    const record = sqsRecord({ messageId: "m-1", group: "github:42", deduplicationId: "github:72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(trustRecord(record, github)).toEqual({ trusted: { webhookId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", receivedAtMs: SENT - 25 } });
  });

  test("a request without the mapped delivery ID (`github:`, `v=`): the body's digest, as before", () => {
    const record = sqsRecord({ messageId: "m-1", group: "github:", body: "{}", deduplicationId: "github:" });
    expect(trustRecord(record, github)).toEqual({ trusted: { webhookId: legacyWebhookId(record), receivedAtMs: SENT - 25 } });
  });

  test("a message the article's stack queued (no attribute at all) keeps its legacy ID and has no receive time", () => {
    const record = sqsRecord({ messageId: "m-1", group: "orders", body: '{"a":1}', source: null });
    expect(trustRecord(record, orders)).toEqual({
      trusted: { webhookId: `legacy_${createHash("sha256").update('{"a":1}').digest("hex").slice(0, 32)}` },
    });
  });

  test.each([
    ["received 35 s before SQS took it (API Gateway's 30 s timeout and slack)", SENT - RECEIVED_BEFORE_SENT_MAX_MS],
    ["received 5 s after, by the clocks (slack)", SENT + RECEIVED_AFTER_SENT_MAX_MS],
  ])("a receive time %s is trusted", (_name, receivedAt) => {
    const record = sqsRecord({ messageId: "m-1", group: "orders", attributes: { "webhook-received-at": String(receivedAt) } });
    expect(trustRecord(record, orders)).toEqual({ trusted: { webhookId: "req-m-1", receivedAtMs: receivedAt } });
  });

  test("a copy the operators' tool put back keeps the attributes checked when the webhook first arrived", () => {
    const record = sqsRecord({
      messageId: "m-9",
      group: "github:42",
      deduplicationId: "redrive-6f1c5f39-0c2a-4d3e-9c49-0b8e5c3a7f10",
      sentAt: SENT + 86_400_000,
      attributes: { "webhook-id": "v=delivery-1", "webhook-received-at": String(SENT) },
    });
    expect(trustRecord(record, github)).toEqual({ trusted: { webhookId: "delivery-1", receivedAtMs: SENT } });
  });
});

describe("trustRecord: attributes that contradict what SQS says are not trusted", () => {
  test.each([
    [
      "the source of another route",
      { "webhook-source": "orders" },
      'attribute webhook-source "orders" contradicts the message group of source github',
    ],
    [
      "a receive time a day earlier (an old signed webhook replayed)",
      { "webhook-received-at": String(SENT - 86_400_000) },
      "attribute webhook-received-at",
    ],
    [
      "a receive time 36 s before SQS took it",
      { "webhook-received-at": String(SENT - RECEIVED_BEFORE_SENT_MAX_MS - 1_000) },
      "contradicts SQS's SentTimestamp",
    ],
    ["a receive time 6 s after", { "webhook-received-at": String(SENT + RECEIVED_AFTER_SENT_MAX_MS + 1_000) }, "contradicts SQS's SentTimestamp"],
    ["a receive time that is no number", { "webhook-received-at": "v=soon" }, "contradicts SQS's SentTimestamp"],
    [
      "another webhook ID (the application's idempotency key)",
      { "webhook-id": "v=someone-elses" },
      'attribute webhook-id "someone-elses" contradicts the deduplication ID "req-m-1"',
    ],
    [
      "an attribute no route writes",
      { "webhook-target": "https://attacker.example" },
      "attribute webhook-target is not one the route of source github writes",
    ],
    ["a header another scheme uses", { "header.stripe-signature": "v=t=1,v1=00" }, "attribute header.stripe-signature is not one"],
  ])("%s", (_name, injected, reason) => {
    const record = sqsRecord({ messageId: "m-1", group: "github:42", attributes: injected });
    expect(trustRecord(record, github)).toEqual({ contradiction: expect.stringMatching(/^forged: /) });
    expect(trustRecord(record, github)).toEqual({ contradiction: expect.stringContaining(reason) });
  });

  test("a record without a deduplication ID (not SQS FIFO's) is not trusted", () => {
    const record = sqsRecord({ messageId: "m-1", group: "orders" });
    const { MessageDeduplicationId: _dropped, ...attributes } = record.attributes;
    expect(trustRecord({ ...record, attributes: attributes as typeof record.attributes }, orders)).toEqual({
      contradiction: "forged: no MessageDeduplicationId: not a record of the FIFO queue",
    });
  });

  test("only `redrive-<id>` (no route writes one: mapped IDs carry `<source>:`) skips the checks", () => {
    const injected = { "webhook-received-at": String(SENT - 86_400_000) };
    for (const deduplicationId of ["redrive-x:1", "github:redrive-1", "Redrive-1"]) {
      const record = sqsRecord({ messageId: "m-1", group: "github:42", deduplicationId, attributes: injected });
      expect(trustRecord(record, github)).toHaveProperty("contradiction");
    }
  });
});

describe("webhookIdOfDeduplication", () => {
  test.each([
    ["Kq0ZXj2xNjMEJdw=", "Kq0ZXj2xNjMEJdw="],
    ["github:abc", "abc"],
    ["github:a:b", "a:b"],
    ["github:", undefined],
    ["gitlab:abc", "gitlab:abc"],
  ])("%s -> %s", (deduplicationId, expected) => {
    expect(webhookIdOfDeduplication(deduplicationId, github)).toBe(expected);
  });
});
