/**
 * `quarantine list|discard|release`: the webhooks the forwarder quarantined because they failed
 * verification. Today's forwarder puts them in the quarantine queue; older ones put them in the DLQ
 * with a quarantine-reason (`--from dlq`). Nothing quarantined goes back to the main queue
 * unless an operator releases it here (or redrives it with --include-quarantined).
 */
import { Command, Option } from "commander";
import { collect, UsageError } from "../../shared/command-line";
import { GlobalOptions } from "../options";
import { AwsClients, QueueState, openQueues } from "../aws";
import { CliCommand, CliCommandGroup } from "../command";
import { DEFAULT_SOURCE_NAME, QueueMessage, RedriveFilter } from "../messages";
import { CommandResult } from "../output";
import { addPeekOptions, peekMessages } from "./peek";
import { moveMessages } from "./redrive";

type From = "quarantine" | "dlq";

interface ListOptions {
  readonly from: From;
  readonly max: number;
  readonly full: boolean;
  readonly visibilityTimeout: number;
}

type SelectOptions = {
  readonly messageId: string[];
  readonly source: string[];
  readonly all?: boolean;
  readonly dryRun: boolean;
  readonly yes: boolean;
};

type DiscardOptions = SelectOptions & { readonly from: From };

function fromOption(): Option {
  return new Option(
    "--from <queue>",
    "quarantine: the quarantine queue; dlq: the DLQ's messages that carry a quarantine-reason (quarantined there by an older forwarder)",
  )
    .choices(["quarantine", "dlq"])
    .default("quarantine");
}

/** The queue the quarantined webhooks are in; the DLQ is checked against the main queue as peek checks it. */
async function openFrom(global: GlobalOptions, from: From): Promise<{ clients: AwsClients; queue: QueueState }> {
  if (from === "quarantine") {
    const opened = await openQueues(global, { queue: "unused", dlq: "unused", quarantine: "required" });
    return { clients: opened.clients, queue: opened.quarantine! };
  }
  const opened = await openQueues(global, { queue: "unused", dlq: "required", pair: true });
  return { clients: opened.clients, queue: opened.dlq! };
}

/** The messages a discard or a release acts on: named by exactly one kind of filter. */
export function quarantineFilter(command: "discard" | "release", values: Omit<SelectOptions, "dryRun" | "yes">, from: From): RedriveFilter {
  const given = [values.messageId.length > 0 && "--message-id", values.source.length > 0 && "--source", values.all === true && "--all"];
  const kinds = given.filter((kind): kind is string => kind !== false);
  if (kinds.length !== 1) {
    const allowed = command === "discard" ? "--message-id ID, --source NAME or --all" : "--message-id ID or --source NAME";
    throw new UsageError(`quarantine ${command} needs exactly one of ${allowed} (given: ${kinds.join(" and ") || "none"})`);
  }
  return {
    groups: new Set(),
    sources: new Set(values.source),
    messageIds: new Set(values.messageId),
    quarantined: from === "dlq" ? "only" : "include",
    refuseForged: command === "release",
  };
}

function addSelectOptions(command: Command, verb: "discard" | "release"): Command {
  return command
    .option("--message-id <id>", `${verb} the message with this ID (repeatable)`, collect, [])
    .option(
      "--source <name>",
      `${verb} the webhooks of this source (repeatable; "${DEFAULT_SOURCE_NAME}" includes messages queued before sources existed)`,
      collect,
      [],
    )
    .option("--dry-run", `list what would be ${verb}d; change nothing`, false)
    .option("-y, --yes", "do not ask for confirmation", false);
}

const listCommand: CliCommand<ListOptions> = {
  name: "list",
  isDefault: true,
  summary: "show quarantined webhooks and why, without consuming them (the default)",
  configure(command) {
    command.description(
      "Lists quarantined webhooks as peek does (source, group, webhook ID, message ID, receives, sent, quarantine\n" +
        "reason, body): received, then all made visible again before the command ends; each listing adds one to their\n" +
        "receive count. --from dlq lists only the DLQ's messages that carry a quarantine-reason, not its failed deliveries.",
    );
    addPeekOptions(command.addOption(fromOption()));
  },
  async run(global, values): Promise<CommandResult> {
    const { clients, queue } = await openFrom(global, values.from);
    const show = values.from === "dlq" ? { only: "quarantined", keep: (m: QueueMessage) => m.quarantineReason !== undefined } : undefined;
    return peekMessages(clients, queue, { ...values, show });
  },
};

const discardCommand: CliCommand<DiscardOptions> = {
  name: "discard",
  summary: "delete quarantined webhooks for good",
  configure(command) {
    command.description(
      "Deletes the quarantined webhooks named by exactly one of --message-id (repeatable), --source (repeatable) or --all.\n" +
        "With --from dlq only DLQ messages that carry a quarantine-reason are ever deleted, never a failed delivery.\n" +
        "Asks first on a terminal; without a terminal it refuses unless --yes. --dry-run lists what would go.",
    );
    addSelectOptions(command.addOption(fromOption()).option("--all", "discard every quarantined webhook", false), "discard");
  },
  async run(global, values): Promise<CommandResult> {
    const filter = quarantineFilter("discard", values, values.from);
    const { clients, queue } = await openFrom(global, values.from);
    return moveMessages({ clients, from: queue, filter, dryRun: values.dryRun, yes: values.yes });
  },
};

const releaseCommand: CliCommand<SelectOptions> = {
  name: "release",
  summary: "move quarantined webhooks you vouch for back to the main queue, in group order",
  configure(command) {
    command.description(
      "Moves the quarantined webhooks named by --message-id (repeatable) or --source (repeatable) from the quarantine\n" +
        "queue to the main queue, as redrive moves DLQ messages: in each group's order, deduplication ID \"redrive-<message\n" +
        'ID>", attributes without the quarantine-reason, sent then deleted; a stopped run is finished by running it again.\n' +
        "The forwarder verifies them again: release after fixing what failed (e.g. a wrong secret). Asks first on a\n" +
        "terminal; refuses without one unless --yes. Webhooks an older forwarder quarantined in the DLQ:\n" +
        "redrive --include-quarantined --message-id ID.",
    );
    addSelectOptions(command, "release");
  },
  async run(global, values): Promise<CommandResult> {
    const filter = quarantineFilter("release", values, "quarantine");
    const { clients, queue, quarantine } = await openQueues(global, { queue: "required", dlq: "unused", quarantine: "required" });
    return moveMessages({ clients, from: quarantine!, to: queue!, filter, dryRun: values.dryRun, yes: values.yes });
  },
};

export const quarantineCommand: CliCommandGroup = {
  name: "quarantine",
  summary: "list, discard or release webhooks that failed verification",
  description:
    "The webhooks the forwarder quarantined because they failed verification: in the quarantine queue\n" +
    "(--quarantine-url, or the stack's quarantine_url), or, put there by an older forwarder, in the DLQ with a\n" +
    "quarantine-reason (--from dlq). Nothing quarantined goes back to the main queue without `quarantine release`\n" +
    "(or `redrive --include-quarantined`).",
  subcommands: [listCommand, discardCommand, releaseCommand] as readonly CliCommand[],
};
