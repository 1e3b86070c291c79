/**
 * `npm run local -- --smoke`: a scripted day of webhooks on a running rehearsal, with two
 * sources: the article's unsigned route (one lane), and a GitHub-signed route grouped per
 * repository, deduplicated by GitHub's delivery ID.
 *
 * 1. Webhooks of both sources are delivered, each lane in order: three repositories' lanes and
 *    one for a request without a repository (the fallback group); two webhooks with identical
 *    bodies are both delivered; two forged ones (a wrong signature, and a signature header that
 *    rewrites the message attributes) are quarantined, never delivered, and leave the DLQ empty;
 *    a request straight to the application's route, past the queue, is refused (403: IAM).
 * 2. A release starts (the application answers 503): more webhooks fail and the queue's redrive
 *    policy moves them to the DLQ.
 * 3. The release ends; `webhook-queue redrive` moves the DLQ back; the failed webhooks are
 *    delivered; the forged ones stay in quarantine.
 * Passes when every genuine webhook was delivered exactly once, each lane in order.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { randomUUID } from "node:crypto";
import { FORGED_REASON_PREFIX, MESSAGE_ATTRIBUTES } from "../../../lambda/forwarder/contract";
import { WebhookQueueSettings } from "../../infrastructure/settings";
import { WEBHOOK_QUEUE_BIN } from "../../project";
import { emulatorClientEnv } from "../emulator/moto-server";
import { CommandError, run } from "../shared/run";
import { signedHeaders } from "../shared/webhook-signing";
import { Delivery } from "./application";
import { Log, Rehearsal } from "./rehearsal";

const GITHUB_SECRET_PARAMETER = "/webhook-queue/smoke/github-secret";
const GITHUB_SECRET = "smoke-github-webhook-secret";

/** The smoke's sources and secret, over the emulator environment's. */
export const SMOKE_OVERLAY: Partial<WebhookQueueSettings> = {
  sources: {
    default: {},
    github: {
      routeKey: "POST /webhooks/github",
      messageGroup: "$request.body.repository.id",
      deduplicationId: "$request.header.X-GitHub-Delivery",
      signature: { scheme: "github", secretParameters: [GITHUB_SECRET_PARAMETER] },
    },
  },
};
export const SMOKE_SECRETS = { [GITHUB_SECRET_PARAMETER]: GITHUB_SECRET };

export interface SmokeResult {
  readonly passed: boolean;
  /** `smoke: PASS delivered=15 sources=2 lanes=6 order=ok duplicates=0 identical=2 forged_quarantined=2 direct_forbidden=1 dlq_redriven=3 wall=180.2s` */
  readonly summary: string;
}

/** One scripted webhook: its source, its lane (the article's route has one; GitHub's one per repository), its place in the lane. */
export interface Webhook {
  readonly source: "default" | "github";
  readonly lane: string;
  readonly seq: number;
  /** Distinguishes the two webhooks with identical bodies (not part of the body). */
  readonly copy?: number;
}

class SmokeFailure extends Error {}

const key = (webhook: Webhook) => `${webhook.source}/${webhook.lane}/${webhook.seq}`;

/** `wallStartedAt`: performance.now() when `npm run local` started, for the wall time in the summary. */
export async function runSmoke(rehearsal: Rehearsal, log: Log, signal: AbortSignal, wallStartedAt: number): Promise<SmokeResult> {
  const say = (line: string) => log("smoke", line);
  const { application, deployment } = rehearsal;
  const sent: Webhook[] = [];
  let redriven = 0;

  const post = async (source: Webhook["source"], body: string, headers: Record<string, string>) => {
    const response = await fetch(rehearsal.webhookUrls[source], {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const answer = (await response.json()) as { SendMessageResponse?: { SendMessageResult?: { MessageId?: string } } };
    if (response.status !== 200 || !answer.SendMessageResponse?.SendMessageResult?.MessageId) {
      throw new SmokeFailure(`POST ${rehearsal.webhookUrls[source]} answered ${response.status} ${JSON.stringify(answer)}`);
    }
  };
  const bodyOf = (webhook: Webhook) =>
    JSON.stringify(
      webhook.source === "github"
        ? { action: "updated", ...(webhook.lane !== "none" && { repository: { id: webhook.lane } }), seq: webhook.seq }
        : { event: "approval.updated", lane: webhook.lane, seq: webhook.seq },
    );
  /** Through the source's route, as the SaaS does: GitHub's webhooks signed, with a delivery ID. */
  const send = async (webhook: Webhook) => {
    const body = bodyOf(webhook);
    const headers =
      webhook.source === "github" ? { "x-github-delivery": randomUUID(), ...signedHeaders({ scheme: "github" }, GITHUB_SECRET, body) } : {};
    await post(webhook.source, body, headers);
    sent.push(webhook);
  };
  const forge = async () => {
    await post("github", bodyOf({ source: "github", lane: "r2", seq: 99 }), {
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
    });
    // A delivery header that ends its attribute's JSON string and adds one of its own.
    const body = bodyOf({ source: "github", lane: "r3", seq: 98 });
    await post("github", body, {
      "x-github-delivery": `${randomUUID()}"},"webhook-target":{"DataType":"String","StringValue":"elsewhere`,
      ...signedHeaders({ scheme: "github" }, GITHUB_SECRET, body),
    });
  };
  /** Straight to the application's route, past the queue, with invented headers: its status. */
  const bypass = async () =>
    (
      await fetch(rehearsal.endpoints.application, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": "invented", "x-webhook-source": "github" },
        body: bodyOf({ source: "github", lane: "r1", seq: 97 }),
      })
    ).status;

  const delivered = () => application.deliveries.map((delivery) => ({ ...parseDelivery(delivery), delivery }));

  /** Polls `condition` until it holds; on timeout, the failure names what `observed` saw last. */
  const waitFor = async (what: string, timeoutSeconds: number, condition: () => Promise<boolean> | boolean) => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    const startedAt = Date.now();
    for (;;) {
      if (signal.aborted) throw new SmokeFailure("interrupted");
      if (await condition()) {
        say(`${what}: after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        return;
      }
      if (Date.now() > deadline) throw new SmokeFailure(`${what}: not within ${timeoutSeconds} s (${await observed()})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const depth = async (queueUrl: string) => {
    const attributes = (
      await rehearsal.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      )
    ).Attributes;
    return Number(attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  const queueUrl = deployment.outputs.queue_url ?? "";
  const dlqUrl = deployment.outputs.dlq_url ?? "";
  const quarantineUrl = deployment.outputs.quarantine_url ?? "";
  const observed = async () =>
    `delivered ${delivered().length} of ${sent.length}, queue ${await depth(queueUrl)}, DLQ ${await depth(dlqUrl)}, quarantine ${await depth(quarantineUrl)}`;

  const summary = (verdict: string, quarantined: number, forbidden: number) => {
    const deliveries = delivered();
    const keys = deliveries.map((d) => key(d.webhook));
    const identical = deliveries.filter((d) => d.webhook.lane === "same").length;
    const duplicates = keys.length - new Set(keys).size - Math.max(0, identical - 1);
    const lanes = new Set(deliveries.map((d) => `${d.webhook.source}/${d.webhook.lane}`)).size;
    const sources = new Set(deliveries.map((d) => d.webhook.source)).size;
    const wall = ((performance.now() - wallStartedAt) / 1000).toFixed(1);
    return (
      `smoke: ${verdict} delivered=${deliveries.length} sources=${sources} lanes=${lanes} order=${inLaneOrder(deliveries.map((d) => d.webhook)) ? "ok" : "broken"} ` +
      `duplicates=${duplicates} identical=${identical} forged_quarantined=${quarantined} direct_forbidden=${forbidden} dlq_redriven=${redriven} wall=${wall}s`
    );
  };

  let quarantined = 0;
  let forbidden = 0;
  try {
    say("1/3 webhooks of two sources (the article's route; GitHub, signed, one lane per repository), application up");
    for (const seq of [1, 2, 3]) {
      await send({ source: "default", lane: "article", seq });
      for (const repository of ["r1", "r2", "r3"].slice(0, 4 - seq)) await send({ source: "github", lane: repository, seq });
    }
    await send({ source: "github", lane: "none", seq: 1 });
    // Two deliveries with the same body: content-based deduplication would have merged them.
    await send({ source: "default", lane: "same", seq: 1, copy: 1 });
    await send({ source: "default", lane: "same", seq: 1, copy: 2 });
    await forge();
    const status = await bypass();
    if (status !== 403) throw new SmokeFailure(`a POST straight to the application's route answered ${status}, not 403`);
    forbidden = 1;
    const firstRound = sent.length;
    await waitFor(
      `${firstRound} webhooks delivered, the 2 forged ones quarantined, the DLQ empty`,
      60,
      async () => delivered().length >= firstRound && (await depth(quarantineUrl)) === 2 && (await depth(dlqUrl)) === 0,
    );
    const reasons = await quarantineReasons(rehearsal, quarantineUrl);
    quarantined = reasons.filter((reason) => reason === "signature mismatch" || reason.startsWith(FORGED_REASON_PREFIX)).length;
    if (quarantined !== 2) throw new SmokeFailure(`the forged webhooks are not quarantined with their reasons (${reasons.join("; ")})`);

    say("2/3 release in progress: more webhooks arrive and fail");
    application.setReleaseInProgress(true);
    await send({ source: "default", lane: "article", seq: 4 });
    await send({ source: "github", lane: "r1", seq: 4 });
    await send({ source: "github", lane: "r3", seq: 2 });
    await waitFor("3 webhooks in the DLQ, queue empty", 90, async () => (await depth(dlqUrl)) === 3 && (await depth(queueUrl)) === 0);
    if (delivered().length !== firstRound) throw new SmokeFailure(`a webhook was delivered during the release: ${delivered().length} deliveries`);

    say("3/3 release done: webhook-queue redrive");
    application.setReleaseInProgress(false);
    redriven = await runRedrive(rehearsal, log);
    await waitFor(`${sent.length} webhooks delivered, queue and DLQ empty, the forged ones still in quarantine`, 60, async () => {
      return delivered().length >= sent.length && (await depth(queueUrl)) === 0 && (await depth(dlqUrl)) === 0 && (await depth(quarantineUrl)) === 2;
    });
    // A duplicate would show up after the last expected delivery.
    await new Promise((r) => setTimeout(r, 1500));

    const problems = check(sent, delivered());
    if (redriven !== 3) problems.push(`redrive moved ${redriven} message(s), expected the 3 that failed during the release`);
    if (problems.length > 0) return { passed: false, summary: summary(`FAIL (${problems.join("; ")})`, quarantined, forbidden) };
    return { passed: true, summary: summary("PASS", quarantined, forbidden) };
  } catch (error) {
    const reason = error instanceof SmokeFailure ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    return { passed: false, summary: summary(`FAIL (${reason})`, quarantined, forbidden) };
  }
}

/** Which scripted webhook a delivery is, read from its body and headers. */
function parseDelivery(delivery: Delivery): { webhook: Webhook; webhookId?: string; source?: string } {
  const body = JSON.parse(delivery.body) as { lane?: string; repository?: { id: string }; seq: number };
  const webhook: Webhook =
    delivery.source === "github"
      ? { source: "github", lane: body.repository?.id ?? "none", seq: body.seq }
      : { source: "default", lane: body.lane ?? "?", seq: body.seq };
  return { webhook, webhookId: delivery.webhookId, source: delivery.source };
}

/** The quarantine reasons of the quarantine queue's messages (received briefly and released). */
async function quarantineReasons(rehearsal: Rehearsal, quarantineUrl: string): Promise<string[]> {
  const received = await rehearsal.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: quarantineUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      MessageAttributeNames: ["All"],
      WaitTimeSeconds: 1,
    }),
  );
  return (received.Messages ?? []).flatMap((message) => message.MessageAttributes?.[MESSAGE_ATTRIBUTES.quarantineReason]?.StringValue ?? []);
}

/**
 * Every sent webhook delivered exactly once (the two with identical bodies twice, under two
 * webhook IDs), with its source named and a webhook ID, each lane in sending order.
 */
export function check(sent: readonly Webhook[], deliveries: readonly { webhook: Webhook; webhookId?: string; source?: string }[]): string[] {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const delivery of deliveries) counts.set(key(delivery.webhook), (counts.get(key(delivery.webhook)) ?? 0) + 1);
  for (const webhook of new Map(sent.map((w) => [key(w), w])).values()) {
    const expected = sent.filter((w) => key(w) === key(webhook)).length;
    const count = counts.get(key(webhook)) ?? 0;
    if (count !== expected) problems.push(`${key(webhook)} delivered ${count} time(s), expected ${expected}`);
  }
  const unexpected = [...counts.keys()].filter((k) => !sent.some((w) => key(w) === k));
  if (unexpected.length > 0) problems.push(`unexpected deliveries ${unexpected.join(", ")}`);
  const identicalIds = new Set(deliveries.filter((d) => d.webhook.lane === "same").map((d) => d.webhookId));
  if (identicalIds.size !== 2) problems.push(`the two webhooks with identical bodies came with ${identicalIds.size} webhook ID(s), expected 2`);
  const unnamed = deliveries.filter((d) => d.source !== d.webhook.source || !d.webhookId);
  if (unnamed.length > 0) problems.push(`${unnamed.length} deliveries without their source or webhook ID`);
  if (!inLaneOrder(deliveries.map((d) => d.webhook))) problems.push(`out of lane order: ${deliveries.map((d) => key(d.webhook)).join(" ")}`);
  return problems;
}

/** True when, within each lane, deliveries come in non-decreasing `seq` order. */
export function inLaneOrder(deliveries: readonly Webhook[]): boolean {
  const last = new Map<string, number>();
  for (const delivery of deliveries) {
    const lane = `${delivery.source}/${delivery.lane}`;
    if ((last.get(lane) ?? 0) > delivery.seq) return false;
    last.set(lane, delivery.seq);
  }
  return true;
}

/** The ops CLI's redrive, as an operator runs it against the emulator. */
/** `webhook-queue redrive --yes`, its progress logged; the number of messages it moved. */
async function runRedrive(rehearsal: Rehearsal, log: Log): Promise<number> {
  const { outputs, region } = rehearsal.deployment;
  const args = [
    WEBHOOK_QUEUE_BIN,
    "--endpoint-url",
    rehearsal.moto.endpoint,
    "--region",
    region,
    "--queue-url",
    outputs.queue_url ?? "",
    "--dlq-url",
    outputs.dlq_url ?? "",
    "redrive",
    "--yes",
  ];
  log("smoke", `node ${args.map((arg) => (arg === WEBHOOK_QUEUE_BIN ? "bin/webhook-queue.js" : arg)).join(" ")}`);
  let moved: number | undefined;
  try {
    await run(process.execPath, args, {
      env: emulatorClientEnv(),
      timeoutMs: 120_000,
      onLine: (line) => {
        if (line.trim() !== "") log("redrive", line);
        const summary = /^moved (\d+), skipped \d+, failed \d+/.exec(line);
        if (summary) moved = Number(summary[1]);
      },
    });
  } catch (error) {
    throw new SmokeFailure(`webhook-queue redrive failed: ${error instanceof CommandError ? error.why : (error as Error).message}`);
  }
  if (moved === undefined) throw new SmokeFailure("webhook-queue redrive printed no summary");
  return moved;
}
