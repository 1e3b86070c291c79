/**
 * `npm run local -- --smoke`: a scripted day of webhooks on a running rehearsal, with two
 * sources: the article's unsigned route (one lane), and a GitHub-signed route grouped per
 * repository, deduplicated by GitHub's delivery ID. Retries inside the queue with a one-minute
 * budget (SMOKE_OVERLAY), so that the day fits in a few minutes.
 *
 * 1. Webhooks of both sources are delivered, each lane in order: four repositories' lanes and one
 *    for a request without a repository (the fallback group); two webhooks with identical bodies
 *    are both delivered; two forged ones (a wrong signature, and a signature header that rewrites
 *    the message attributes) are quarantined, never delivered, and leave the DLQ empty; a request
 *    straight to the application's route, past the queue, is refused (403: IAM). The application
 *    has a bug: it cannot take repository r4's first webhook (a poison webhook), which is retried
 *    and holds up r4's later webhooks, in order, while every other lane flows.
 * 2. A release (the application answers 503) shorter than the budget: the webhooks that arrive
 *    meanwhile are retried inside the queue and delivered after it, in order, none dead-lettered.
 * 3. The poison webhook's budget runs out: it is dead-lettered, and r4's later webhooks, the ones
 *    waiting and one sent afterwards, follow it into the DLQ (its group held), while the other
 *    lanes go on being delivered.
 * 4. The application's fix is deployed; `webhook-queue redrive` puts r4's webhooks back and
 *    releases the group: every lane delivered in order, the forged ones still in quarantine.
 * Passes when every genuine webhook was delivered exactly once, each lane in order.
 */
import { GetQueueAttributesCommand, Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { FORGED_REASON_PREFIX, MESSAGE_ATTRIBUTES } from "../../../lambda/forwarder/contract";
import { WebhookQueueSettings } from "../../infrastructure/settings";
import { WEBHOOK_QUEUE_BIN } from "../../project";
import { emulatorClientEnv } from "../emulator/moto-server";
import { CommandError, run } from "../shared/run";
import { STACKS_DIR_ENV } from "../shared/stack-files";
import { signedHeaders } from "../shared/webhook-signing";
import { Delivery } from "./application";
import { Log, Rehearsal } from "./rehearsal";

const GITHUB_SECRET_PARAMETER = "/webhook-queue/smoke/github-secret";
const GITHUB_SECRET = "smoke-github-webhook-secret";

/** The smoke's sources and secret, over the emulator environment's. */
export const SMOKE_OVERLAY: Partial<WebhookQueueSettings> = {
  // The shortest budget the settings allow, and short backoffs: a release of seconds, a poison webhook of a minute.
  forwarder: { retry: { maxAgeSeconds: 60, initialDelaySeconds: 1, maxDelaySeconds: 4 } },
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
  /** `smoke: PASS delivered=20 sources=2 lanes=7 order=ok duplicates=0 identical=2 forged_quarantined=2 direct_forbidden=1 release_retried=3 release_dead_lettered=0 held=3 dlq_redriven=4 wall=180.2s` */
  readonly summary: string;
}

/** One scripted webhook: its source, its lane (the article's route has one; GitHub's one per repository), its place in the lane. */
export interface Webhook {
  readonly source: "default" | "github";
  readonly lane: string;
  readonly seq: number;
  /** Distinguishes the two webhooks with identical bodies (not part of the body). */
  readonly copy?: number;
  /** A webhook the application cannot take until its fix is deployed. */
  readonly poison?: boolean;
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
        ? {
            action: "updated",
            ...(webhook.lane !== "none" && { repository: { id: webhook.lane } }),
            seq: webhook.seq,
            ...(webhook.poison && { poison: true }),
          }
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
  /** The DLQ's messages by lane (`github/r4`), received briefly and released. */
  const deadLetterLanes = async () =>
    (await peekQueue(rehearsal, dlqUrl)).map((message) => {
      const body = JSON.parse(message.Body ?? "{}") as { lane?: string; repository?: { id: string } };
      return body.repository ? `github/${body.repository.id}` : `default/${body.lane ?? "?"}`;
    });
  const observed = async () =>
    `delivered ${delivered().length} of ${sent.length}, queue ${await depth(queueUrl)}, DLQ ${await depth(dlqUrl)}, quarantine ${await depth(quarantineUrl)}`;

  const summary = (verdict: string, quarantined: number, forbidden: number) => {
    const { retried, deadLettered, held } = counts;
    const deliveries = delivered();
    const keys = deliveries.map((d) => key(d.webhook));
    const identical = deliveries.filter((d) => d.webhook.lane === "same").length;
    const duplicates = keys.length - new Set(keys).size - Math.max(0, identical - 1);
    const lanes = new Set(deliveries.map((d) => `${d.webhook.source}/${d.webhook.lane}`)).size;
    const sources = new Set(deliveries.map((d) => d.webhook.source)).size;
    const wall = ((performance.now() - wallStartedAt) / 1000).toFixed(1);
    return (
      `smoke: ${verdict} delivered=${deliveries.length} sources=${sources} lanes=${lanes} order=${inLaneOrder(deliveries.map((d) => d.webhook)) ? "ok" : "broken"} ` +
      `duplicates=${duplicates} identical=${identical} forged_quarantined=${quarantined} direct_forbidden=${forbidden} ` +
      `release_retried=${retried} release_dead_lettered=${deadLettered} held=${held} dlq_redriven=${redriven} wall=${wall}s`
    );
  };

  let quarantined = 0;
  let forbidden = 0;
  const counts = { retried: 0, deadLettered: 0, held: 0 };
  const poisonLane = "github/r4";
  const inLane = (lane: string) => (webhook: Webhook) => `${webhook.source}/${webhook.lane}` === lane;
  const deliveredOutside = (lane: string) => delivered().filter((d) => !inLane(lane)(d.webhook)).length;
  try {
    say("1/4 webhooks of two sources (the article's route; GitHub, signed, one lane per repository); r4's first one is poison to the application");
    application.refuse((body) => body.includes('"poison":true'), "the application has a bug: it answers 503 to r4's poison webhook");
    await send({ source: "github", lane: "r4", seq: 1, poison: true });
    for (const seq of [1, 2, 3]) {
      await send({ source: "default", lane: "article", seq });
      for (const repository of ["r1", "r2", "r3"].slice(0, 4 - seq)) await send({ source: "github", lane: repository, seq });
    }
    await send({ source: "github", lane: "r4", seq: 2 });
    await send({ source: "github", lane: "none", seq: 1 });
    // Two deliveries with the same body: content-based deduplication would have merged them.
    await send({ source: "default", lane: "same", seq: 1, copy: 1 });
    await send({ source: "default", lane: "same", seq: 1, copy: 2 });
    await forge();
    const status = await bypass();
    if (status !== 403) throw new SmokeFailure(`a POST straight to the application's route answered ${status}, not 403`);
    forbidden = 1;
    const flowing = () => sent.filter((webhook) => !inLane(poisonLane)(webhook)).length;
    const firstRound = flowing();
    await waitFor(
      `${firstRound} webhooks delivered (all but r4's, which wait behind its poison webhook), the 2 forged ones quarantined`,
      60,
      async () => deliveredOutside(poisonLane) >= firstRound && (await depth(quarantineUrl)) === 2,
    );
    if (delivered().some((d) => inLane(poisonLane)(d.webhook))) throw new SmokeFailure("a webhook of r4 was delivered past its poison webhook");
    const reasons = await quarantineReasons(rehearsal, quarantineUrl);
    quarantined = reasons.filter((reason) => reason === "signature mismatch" || reason.startsWith(FORGED_REASON_PREFIX)).length;
    if (quarantined !== 2) throw new SmokeFailure(`the forged webhooks are not quarantined with their reasons (${reasons.join("; ")})`);

    say("2/4 a release, shorter than the retry budget: webhooks that arrive meanwhile are retried inside the queue");
    application.setReleaseInProgress(true);
    const duringRelease: Webhook[] = [
      { source: "default", lane: "article", seq: 4 },
      { source: "github", lane: "r1", seq: 4 },
      { source: "github", lane: "r3", seq: 2 },
    ];
    for (const webhook of duringRelease) await send(webhook);
    await new Promise((r) => setTimeout(r, 6000));
    if (deliveredOutside(poisonLane) !== firstRound) throw new SmokeFailure(`a webhook was delivered during the release`);
    application.setReleaseInProgress(false);
    await waitFor(`the ${duringRelease.length} webhooks of the release delivered once it ended, none in the DLQ`, 30, async () => {
      return deliveredOutside(poisonLane) >= flowing() && (await deadLetterLanes()).every((lane) => lane === poisonLane);
    });
    counts.retried = duringRelease.length;
    counts.deadLettered = (await deadLetterLanes()).filter((lane) => lane !== poisonLane).length;

    say("3/4 r4's poison webhook runs out of budget: dead-lettered, and r4's later webhooks held behind it; the other lanes flow");
    await send({ source: "github", lane: "r4", seq: 3 });
    await waitFor(
      "r4's 3 webhooks in the DLQ, in order",
      90,
      async () => (await deadLetterLanes()).filter((lane) => lane === poisonLane).length === 3,
    );
    await send({ source: "github", lane: "r4", seq: 4 });
    await send({ source: "github", lane: "r2", seq: 3 });
    await waitFor("r4's webhook sent after the hold in the DLQ too; r2's delivered", 30, async () => {
      return (await deadLetterLanes()).length === 4 && deliveredOutside(poisonLane) >= flowing();
    });
    counts.held = (await deadLetterLanes()).length - 1;
    await runCli(rehearsal, log, "status", []);

    say("4/4 the application's fix is deployed: webhook-queue redrive puts r4 back and releases its group");
    application.refuse(undefined, "the application's fix is deployed: it takes r4's webhook");
    redriven = await runRedrive(rehearsal, log);
    await waitFor(`${sent.length} webhooks delivered, queue and DLQ empty, the forged ones still in quarantine`, 60, async () => {
      return delivered().length >= sent.length && (await depth(queueUrl)) === 0 && (await depth(dlqUrl)) === 0 && (await depth(quarantineUrl)) === 2;
    });
    // A duplicate would show up after the last expected delivery.
    await new Promise((r) => setTimeout(r, 1500));

    const problems = check(sent, delivered());
    if (redriven !== 4) problems.push(`redrive moved ${redriven} message(s), expected r4's 4`);
    if (counts.deadLettered !== 0) problems.push(`${counts.deadLettered} webhook(s) of the release dead-lettered`);
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

/** A queue's messages, received briefly (up to 10 per group) and released. */
async function peekQueue(rehearsal: Rehearsal, queueUrl: string): Promise<Message[]> {
  const received = await rehearsal.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      MessageAttributeNames: ["All"],
      WaitTimeSeconds: 1,
    }),
  );
  return received.Messages ?? [];
}

/** The quarantine reasons of the quarantine queue's messages. */
async function quarantineReasons(rehearsal: Rehearsal, quarantineUrl: string): Promise<string[]> {
  return (await peekQueue(rehearsal, quarantineUrl)).flatMap(
    (message) => message.MessageAttributes?.[MESSAGE_ATTRIBUTES.quarantineReason]?.StringValue ?? [],
  );
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

/**
 * `webhook-queue --stack <stack> <command> [args]` as an operator runs it beside `npm run local`: the
 * stack's outputs, moto_server and region from the rehearsal's endpoints.json; its output logged; its
 * lines (stdout and stderr).
 */
async function runCli(rehearsal: Rehearsal, log: Log, command: string, args: readonly string[]): Promise<string[]> {
  const argv = [WEBHOOK_QUEUE_BIN, "--stack", rehearsal.settings.stackName, command, ...args];
  log("smoke", `npx webhook-queue ${argv.slice(1).join(" ")}`);
  const lines: string[] = [];
  try {
    await run(process.execPath, argv, {
      // No stack deployed by hand in cdktf.out/stacks may stand in for the rehearsal's.
      env: emulatorClientEnv({ [STACKS_DIR_ENV]: join(rehearsal.deployment.stackDirectory, "no-stacks-deployed-by-hand") }),
      timeoutMs: 180_000,
      onLine: (line) => {
        if (line.trim() === "") return;
        log(command, line);
        lines.push(line);
      },
    });
  } catch (error) {
    throw new SmokeFailure(`webhook-queue ${command} failed: ${error instanceof CommandError ? error.why : (error as Error).message}`);
  }
  return lines;
}

/** `webhook-queue redrive --yes`: the number of messages it moved; fails unless it released every held group. */
async function runRedrive(rehearsal: Rehearsal, log: Log): Promise<number> {
  const lines = await runCli(rehearsal, log, "redrive", ["--yes"]);
  const summary = lines.map((line) => /^moved (\d+), skipped \d+, failed \d+/.exec(line)).find((match) => match !== null);
  if (!summary) throw new SmokeFailure("webhook-queue redrive printed no summary");
  const stillHeld = lines.filter((line) => /^group .*: still held/.test(line));
  if (stillHeld.length > 0) throw new SmokeFailure(`webhook-queue redrive left groups held: ${stillHeld.join("; ")}`);
  return Number(summary[1]);
}
