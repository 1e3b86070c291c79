/**
 * `npm run local -- --smoke`: a scripted release outage on a running rehearsal.
 *
 * 1. Webhooks of two message groups arrive and are delivered, in order.
 * 2. A release starts (the application answers 503); more webhooks arrive, fail, and
 *    the queue's redrive policy moves them to the DLQ.
 * 3. The release ends; `webhook-queue redrive` moves them back; they are delivered.
 * Passes when every webhook was delivered exactly once and each group in order.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { emulatorClientEnv } from "../emulator/moto-server";
import { sendMessageAsIntegration } from "./gateway";
import { Log, Rehearsal } from "./rehearsal";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const WEBHOOK_QUEUE_CLI = join(PROJECT_ROOT, "bin", "webhook-queue.js");

export interface SmokeResult {
  readonly passed: boolean;
  /** `smoke: PASS delivered=9 groups=2 order=ok duplicates=0 dlq_redriven=3 wall=97.3s` */
  readonly summary: string;
}

/** One scripted webhook: its group (by letter) and its place in that group. */
interface Webhook {
  readonly group: "A" | "B";
  readonly seq: number;
}

class SmokeFailure extends Error {}

/** `wallStartedAt`: performance.now() when `npm run local` started, for the wall time in the summary. */
export async function runSmoke(rehearsal: Rehearsal, log: Log, signal: AbortSignal, wallStartedAt: number): Promise<SmokeResult> {
  const say = (line: string) => log("smoke", line);
  const { application, deployment } = rehearsal;
  const groupIds = { A: rehearsal.groups.route, B: rehearsal.groups.second };
  const sent: Webhook[] = [];
  let redriven = 0;

  const send = async (webhook: Webhook) => {
    const body = JSON.stringify({ event: "approval.updated", group: webhook.group, seq: webhook.seq, id: `${webhook.group}-${webhook.seq}` });
    if (webhook.group === "A") {
      // Through the stack's route, as the SaaS does.
      const response = await fetch(rehearsal.webhookUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
      const answer = (await response.json()) as { SendMessageResponse?: { SendMessageResult?: { MessageId?: string } } };
      if (response.status !== 200 || !answer.SendMessageResponse?.SendMessageResult?.MessageId) {
        throw new SmokeFailure(`POST ${rehearsal.webhookUrl} answered ${response.status} ${JSON.stringify(answer)}`);
      }
    } else {
      // The stack has one route; a second SaaS's route would differ only in its MessageGroupId.
      const answer = await sendMessageAsIntegration(rehearsal.sqs, { QueueUrl: deployment.outputs.queue_url, MessageBody: body, MessageGroupId: groupIds.B });
      if (answer.status !== 200) throw new SmokeFailure(`SendMessage for group ${groupIds.B} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    sent.push(webhook);
  };

  const delivered = () =>
    application.deliveries.map((delivery) => {
      const parsed = JSON.parse(delivery.body) as { group: "A" | "B"; seq: number };
      return { ...parsed, routedTo: delivery.group };
    });

  const waitFor = async (what: string, timeoutSeconds: number, condition: () => Promise<boolean> | boolean) => {
    const deadline = Date.now() + timeoutSeconds * 1000;
    const startedAt = Date.now();
    for (;;) {
      if (signal.aborted) throw new SmokeFailure("interrupted");
      if (await condition()) {
        say(`${what}: after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        return;
      }
      if (Date.now() > deadline) throw new SmokeFailure(`${what}: not within ${timeoutSeconds} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const depth = async (queueUrl: string | undefined) => {
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

  const summary = (verdict: string) => {
    const deliveries = delivered();
    const keys = deliveries.map((d) => `${d.group}-${d.seq}`);
    const duplicates = keys.length - new Set(keys).size;
    const groups = new Set(deliveries.map((d) => d.group)).size;
    const wall = ((performance.now() - wallStartedAt) / 1000).toFixed(1);
    return `smoke: ${verdict} delivered=${new Set(keys).size} groups=${groups} order=${inGroupOrder(deliveries) ? "ok" : "broken"} duplicates=${duplicates} dlq_redriven=${redriven} wall=${wall}s`;
  };

  try {
    say("1/3 webhooks of two groups, application up");
    for (const seq of [1, 2, 3]) {
      await send({ group: "A", seq });
      await send({ group: "B", seq });
    }
    await waitFor("6 webhooks delivered", 30, () => delivered().length >= 6);

    say("2/3 release in progress: more webhooks arrive and fail");
    application.setReleaseInProgress(true);
    await send({ group: "A", seq: 4 });
    await send({ group: "B", seq: 4 });
    await send({ group: "A", seq: 5 });
    await waitFor("3 webhooks in the DLQ, queue empty", 90, async () => (await depth(deployment.outputs.dlq_url)) === 3 && (await depth(deployment.outputs.queue_url)) === 0);
    if (delivered().length !== 6) throw new SmokeFailure(`a webhook was delivered during the release: ${delivered().length} deliveries`);

    say("3/3 release done: webhook-queue redrive");
    application.setReleaseInProgress(false);
    const before = await depth(deployment.outputs.dlq_url);
    await runRedrive(rehearsal, log);
    redriven = before - (await depth(deployment.outputs.dlq_url));
    await waitFor(`${sent.length} webhooks delivered, queue and DLQ empty`, 60, async () => {
      return delivered().length >= sent.length && (await depth(deployment.outputs.queue_url)) === 0 && (await depth(deployment.outputs.dlq_url)) === 0;
    });
    // A duplicate would show up after the last expected delivery.
    await new Promise((r) => setTimeout(r, 1500));

    const problems = check(sent, delivered(), groupIds);
    if (redriven !== 3) problems.push(`redrive moved ${redriven} message(s), expected 3`);
    if (problems.length > 0) return { passed: false, summary: summary(`FAIL (${problems.join("; ")})`) };
    return { passed: true, summary: summary("PASS") };
  } catch (error) {
    const reason = error instanceof SmokeFailure ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    return { passed: false, summary: summary(`FAIL (${reason})`) };
  }
}

/** Every sent webhook delivered exactly once, at its group's route, each group in sending order. */
export function check(
  sent: readonly Webhook[],
  deliveries: readonly (Webhook & { readonly routedTo?: string })[],
  groupIds: Readonly<Record<Webhook["group"], string>>,
): string[] {
  const problems: string[] = [];
  const key = (w: Webhook) => `${w.group}-${w.seq}`;
  const counts = new Map<string, number>();
  for (const delivery of deliveries) counts.set(key(delivery), (counts.get(key(delivery)) ?? 0) + 1);
  for (const webhook of sent) {
    const count = counts.get(key(webhook)) ?? 0;
    if (count !== 1) problems.push(`${key(webhook)} delivered ${count} time(s)`);
  }
  const unexpected = [...counts.keys()].filter((k) => !sent.some((w) => key(w) === k));
  if (unexpected.length > 0) problems.push(`unexpected deliveries ${unexpected.join(", ")}`);
  const misrouted = deliveries.filter((d) => d.routedTo !== groupIds[d.group]);
  if (misrouted.length > 0) problems.push(`${misrouted.map(key).join(", ")} reached another group's route`);
  if (!inGroupOrder(deliveries)) problems.push(`out of group order: ${deliveries.map(key).join(" ")}`);
  return problems;
}

/** True when, within each group, deliveries come in increasing `seq` order. */
export function inGroupOrder(deliveries: readonly Webhook[]): boolean {
  const last = new Map<string, number>();
  for (const delivery of deliveries) {
    if ((last.get(delivery.group) ?? 0) >= delivery.seq) return false;
    last.set(delivery.group, delivery.seq);
  }
  return true;
}

/** The ops CLI's redrive, as an operator runs it against the emulator. */
function runRedrive(rehearsal: Rehearsal, log: Log): Promise<void> {
  const { outputs, region } = rehearsal.deployment;
  const args = [
    WEBHOOK_QUEUE_CLI,
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
  log("smoke", `node ${args.map((arg) => (arg === WEBHOOK_QUEUE_CLI ? "bin/webhook-queue.js" : arg)).join(" ")}`);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: emulatorClientEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim() !== "") log("redrive", line);
      });
    }
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun();
      else reject(new SmokeFailure(`webhook-queue redrive exited with ${signal ?? code}`));
    });
  });
}
