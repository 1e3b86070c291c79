/** `peek`: show messages without consuming them; every received message is released before the command ends. */
import { openQueues } from "../aws";
import { Command, helpResult, parseCommandArgs } from "../command";
import { EXIT_OK, UsageError } from "../errors";
import { Lease, receiveAllHeld } from "../lease";
import { QueueMessage, groupInReceiveOrder, messageDocument } from "../messages";
import { integerOption } from "../options";
import { BODY_PREVIEW_CHARS, CommandResult, messageTable } from "../output";
import { EXIT_INTERRUPTED, note, watchInterrupts } from "../terminal";

const PEEK_OPTIONS = {
  from: { type: "string", default: "dlq" },
  max: { type: "string" },
  full: { type: "boolean" },
  "visibility-timeout": { type: "string" },
} as const;

const DEFAULT_MAX = 100;

export const peekCommand: Command = {
  name: "peek",
  summary: "show DLQ (or queue) messages without consuming them",
  help: `Usage: webhook-queue peek [options]

Lists messages with group ID, message ID, receive count, sent time and body, grouped
by message group in FIFO order. Nothing is consumed: the messages are received with a
visibility timeout, and all of them are made visible again (visibility 0) before the
command ends, so the next command sees them. Each peek adds one to their receive count.

A FIFO queue hides later messages of a group while earlier ones are held, so at most
10 messages per group are shown.

Options:
  --from dlq|queue       which queue to read (default dlq). Reading the main queue counts
                         toward its maxReceiveCount and hides the messages from the
                         forwarder while peek runs
  --max N                show at most N messages (default ${DEFAULT_MAX})
  --full                 print whole bodies (default: first ${BODY_PREVIEW_CHARS} characters on one line)
  --visibility-timeout S seconds the messages stay hidden if peek is killed (default 30)`,

  async run(args: string[]): Promise<CommandResult> {
    const { global, values } = parseCommandArgs(args, PEEK_OPTIONS);
    if (global.help) return helpResult(this);
    if (values.from !== "dlq" && values.from !== "queue") throw new UsageError(`--from ${values.from} is not allowed: give dlq or queue`);
    const max = integerOption("max", values.max, DEFAULT_MAX, 1, 10_000);
    const visibilityTimeout = integerOption("visibility-timeout", values["visibility-timeout"], 30, 1, 43_200);
    const from = values.from;
    const opened = await openQueues(global, from === "dlq" ? { queue: "unused", dlq: "required" } : { queue: "required", dlq: "unused" });
    const queue = from === "dlq" ? opened.dlq! : opened.queue!;
    if (from === "queue") {
      note(`note: peeking the main queue counts toward its maxReceiveCount (${queue.maxReceiveCount ?? "none"}) and hides the messages from the forwarder meanwhile`);
    }

    const lease = new Lease(opened.clients.sqs, queue.url, visibilityTimeout);
    const interrupts = watchInterrupts();
    let messages: QueueMessage[] = [];
    try {
      messages = await receiveAllHeld(lease, max, interrupts.requested);
    } finally {
      const unreleased = await lease.releaseAll();
      interrupts.dispose();
      if (unreleased > 0) note(`${unreleased} messages could not be released; they become visible again within ${visibilityTimeout}s`);
    }

    const groups = groupInReceiveOrder(messages);
    const notShown = Math.max(0, queue.visible - messages.length);
    const remarks: string[] = [];
    if (notShown > 0) {
      const why = messages.length >= max ? "--max reached" : "FIFO hides a group's later messages while earlier ones are held";
      remarks.push(`about ${notShown} more not shown (${why})`);
    }
    if (queue.inFlight > 0) remarks.push(`${queue.inFlight} in flight (held by another reader) and not shown`);
    const ordered = groups.flatMap((group) => group.messages);
    const summary =
      `${messages.length} messages in ${groups.length} groups from ${from} ${queue.url}; none consumed` +
      (remarks.length > 0 ? `; ${remarks.join("; ")}` : "");
    const table = messages.length > 0 ? `${messageTable(ordered, values.full ? 0 : BODY_PREVIEW_CHARS)}\n` : "";
    return {
      document: {
        from,
        queueUrl: queue.url,
        count: messages.length,
        groups: groups.length,
        approximateVisible: queue.visible,
        approximateInFlight: queue.inFlight,
        complete: notShown === 0 && queue.inFlight === 0,
        messages: ordered.map(messageDocument),
      },
      text: `${table}${summary}`,
      exitCode: interrupts.requested() ? EXIT_INTERRUPTED : EXIT_OK,
    };
  },
};
