/**
 * `peek`: show messages without consuming them; every received message is released before the
 * command ends. `peekMessages` is also `quarantine list`.
 */
import { Command, Option } from "commander";
import { integerIn, UsageError } from "../../shared/command-line";
import { EXIT_INTERRUPTED, EXIT_OK } from "../../shared/exit-codes";
import { AwsClients, QUEUE_LABELS, QueueState, openQueues } from "../aws";
import { CliCommand } from "../command";
import { Lease, receiveAllHeld } from "../lease";
import { QueueMessage, groupInReceiveOrder, messageDocument } from "../messages";
import { BODY_PREVIEW_CHARS, CommandResult, messageTable } from "../output";
import { note, watchInterrupts } from "../terminal";

interface PeekOptions {
  readonly from: "dlq" | "queue";
  readonly max: number;
  readonly full: boolean;
  readonly visibilityTimeout: number;
  readonly force: boolean;
}

const DEFAULT_MAX = 100;

/** Peeking the main queue is refused (without --force) up to this maxReceiveCount. */
const MAX_RECEIVE_COUNT_TOO_LOW = 2;

/** Why peeking a queue with this maxReceiveCount costs its messages delivery attempts, or undefined when that is acceptable. */
export function mainQueuePeekRisk(queue: Pick<QueueState, "url" | "maxReceiveCount">): string | undefined {
  const count = queue.maxReceiveCount;
  if (count === undefined || count > MAX_RECEIVE_COUNT_TOO_LOW) return undefined;
  const consequence =
    count <= 1
      ? "a message peeked now moves to the dead-letter queue on its next receive, without the forwarder ever trying it"
      : `a message peeked now has only ${count - 1} delivery attempt left before it moves to the dead-letter queue`;
  return (
    `refusing to peek the main queue ${queue.url}: its maxReceiveCount is ${count} and each peek counts as a receive, so ${consequence}. ` +
    "Peek the DLQ instead, or pass --force to peek the queue anyway"
  );
}

/** The options of every non-consuming listing (peek, quarantine list). */
export function addPeekOptions(command: Command): Command {
  return command
    .option("--max <n>", "show at most N messages", integerIn("max", 1, 10_000), DEFAULT_MAX)
    .option("--full", `print whole bodies (default: first ${BODY_PREVIEW_CHARS} characters on one line)`, false)
    .option("--visibility-timeout <seconds>", "seconds the messages stay hidden if killed", integerIn("visibility-timeout", 1, 43_200), 30);
}

export const peekCommand: CliCommand<PeekOptions> = {
  name: "peek",
  summary: "show DLQ (or queue) messages without consuming them",
  configure(command) {
    command
      .description(
        "Lists messages with group ID, message ID, receive count, sent time and body, grouped by message group in FIFO order.\n" +
          "Nothing is consumed: the messages are received with a visibility timeout, and all of them are made visible again\n" +
          "(visibility 0) before the command ends, so the next command sees them. Each peek adds one to their receive count, and\n" +
          "says so on stderr: SQS may leave a message received three or more times out of ApproximateAgeOfOldestMessage, the metric\n" +
          "the DLQ expiry alarm reads (status reads that metric and receives nothing). Message text is shown with controls escaped.\n\n" +
          "A FIFO queue hides later messages of a group while earlier ones are held, so at most 10 messages per group are shown.\n\n" +
          "Refused when the queue and the DLQ given are not a pair (e.g. --queue-url and --dlq-url swapped), and, for --from queue,\n" +
          `when the queue's maxReceiveCount is ${MAX_RECEIVE_COUNT_TOO_LOW} or less, unless --force.`,
      )
      .addOption(
        new Option(
          "--from <queue>",
          "which queue to read. Reading the main queue counts toward its maxReceiveCount and hides the messages from the forwarder while peek runs",
        )
          .choices(["dlq", "queue"])
          .default("dlq"),
      );
    addPeekOptions(command).option(
      "--force",
      `with --from queue: peek even when the queue's maxReceiveCount is ${MAX_RECEIVE_COUNT_TOO_LOW} or less (each peek is a receive: with 1, every message peeked moves to the DLQ on its next receive)`,
      false,
    );
  },

  async run(global, values): Promise<CommandResult> {
    const from = values.from;
    // When both queues are known, they must be a pair (swapped URLs are refused).
    const opened = await openQueues(
      global,
      from === "dlq" ? { queue: "unused", dlq: "required", pair: true } : { queue: "required", dlq: "unused", pair: true },
    );
    const queue = from === "dlq" ? opened.dlq! : opened.queue!;
    if (from === "queue") {
      const risk = mainQueuePeekRisk(queue);
      if (risk && !values.force) throw new UsageError(risk);
      note(
        `note: peeking the main queue counts toward its maxReceiveCount (${queue.maxReceiveCount ?? "none"}) and hides the messages from the forwarder meanwhile`,
      );
    }
    return peekMessages(opened.clients, queue, values);
  },
};

/** Who reads ApproximateAgeOfOldestMessage of each queue. */
const AGE_METRIC_READERS = {
  dlq: "the metric the DLQ expiry alarm reads",
  queue: "the metric the queue's oldest-message alarm reads",
  quarantine: "the metric status shows as its oldest age",
} as const;

/** What peek tells on stderr once it has received: the receive counts it raised, and what that does to the age metric. */
export function receivedNote(count: number, queue: Pick<QueueState, "role">): string {
  const where = `from the ${QUEUE_LABELS[queue.role]}`;
  if (count === 0) return `note: received no messages ${where}; no receive count changed`;
  return (
    `note: received ${count} messages ${where}; each one's receive count went up by one. SQS may leave a message received ` +
    `three or more times out of ApproximateAgeOfOldestMessage (documented by AWS for standard queues), ${AGE_METRIC_READERS[queue.role]}`
  );
}

/**
 * Receives up to `max` messages of `queue`, holding them, and makes every one visible again;
 * lists those `show` keeps (all by default), grouped in FIFO order.
 */
export async function peekMessages(
  clients: AwsClients,
  queue: QueueState,
  options: { max: number; visibilityTimeout: number; full: boolean; show?: { only: string; keep: (message: QueueMessage) => boolean } },
): Promise<CommandResult> {
  const { max, visibilityTimeout } = options;
  const lease = new Lease(clients.sqs, queue.url, visibilityTimeout);
  const interrupts = watchInterrupts();
  let received: QueueMessage[];
  try {
    received = await receiveAllHeld(lease, max, interrupts.requested);
  } finally {
    const unreleased = await lease.releaseAll();
    interrupts.dispose();
    if (unreleased > 0) note(`${unreleased} messages could not be released; they become visible again within ${visibilityTimeout}s`);
  }
  note(receivedNote(received.length, queue));

  const messages = options.show ? received.filter(options.show.keep) : received;
  const groups = groupInReceiveOrder(messages);
  const notShown = Math.max(0, queue.visible - received.length);
  const remarks: string[] = [];
  if (options.show) remarks.push(`${received.length - messages.length} of the ${received.length} received are not ${options.show.only}`);
  if (notShown > 0) {
    const why = received.length >= max ? "--max reached" : "FIFO hides a group's later messages while earlier ones are held";
    remarks.push(`about ${notShown} more not shown (${why})`);
  }
  if (queue.inFlight > 0) remarks.push(`${queue.inFlight} in flight (held by another reader) and not shown`);
  const ordered = groups.flatMap((group) => group.messages);
  const summary =
    `${messages.length} ${options.show ? `${options.show.only} ` : ""}messages in ${groups.length} groups from ${queue.role} ${queue.url}; none consumed` +
    (remarks.length > 0 ? `; ${remarks.join("; ")}` : "");
  const table = messages.length > 0 ? `${messageTable(ordered, options.full ? 0 : BODY_PREVIEW_CHARS)}\n` : "";
  return {
    document: {
      from: queue.role,
      queueUrl: queue.url,
      count: messages.length,
      ...(options.show && { received: received.length }),
      groups: groups.length,
      approximateVisible: queue.visible,
      approximateInFlight: queue.inFlight,
      complete: notShown === 0 && queue.inFlight === 0,
      messages: ordered.map(messageDocument),
    },
    text: `${table}${summary}`,
    exitCode: interrupts.requested() ? EXIT_INTERRUPTED : EXIT_OK,
  };
}
