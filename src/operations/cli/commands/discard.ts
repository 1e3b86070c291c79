/**
 * `discard`: delete dead letters for good (a poison webhook the application will never take), so
 * that the rest of its group can be put back. A held group is released once none of its dead
 * letters is left; webhooks held behind it are put back with `redrive`, never discarded unasked.
 */
import { collect, UsageError } from "../../shared/command-line";
import { openQueues } from "../aws";
import { CliCommand } from "../command";
import { HeldGroups } from "../held-groups";
import { DEFAULT_SOURCE_NAME, RedriveFilter } from "../messages";
import { CommandResult } from "../output";
import { moveMessages } from "./redrive";

interface DiscardOptions {
  readonly messageId: string[];
  readonly group: string[];
  readonly source: string[];
  readonly all: boolean;
  readonly dryRun: boolean;
  readonly yes: boolean;
}

/** The dead letters a discard deletes: named by exactly one kind of filter; never a quarantined message (see `quarantine discard`). */
function discardFilter(values: Omit<DiscardOptions, "dryRun" | "yes">): RedriveFilter {
  const given = [
    values.messageId.length > 0 && "--message-id",
    values.group.length > 0 && "--group",
    values.source.length > 0 && "--source",
    values.all && "--all",
  ];
  const kinds = given.filter((kind): kind is string => kind !== false);
  if (kinds.length !== 1) {
    throw new UsageError(`discard needs exactly one of --message-id ID, --group G, --source NAME or --all (given: ${kinds.join(" and ") || "none"})`);
  }
  return {
    groups: new Set(values.group),
    sources: new Set(values.source),
    messageIds: new Set(values.messageId),
    quarantined: "skip",
  };
}

export const discardCommand: CliCommand<DiscardOptions> = {
  name: "discard",
  summary: "delete dead letters for good (a webhook the application will never take)",
  configure(command) {
    command
      .description(
        "Deletes the DLQ messages named by exactly one of --message-id (repeatable), --group (repeatable), --source\n" +
          "(repeatable) or --all. A held group (its later webhooks wait in the DLQ behind its dead letter) is released when\n" +
          "none of its messages is left; otherwise put the rest back with `redrive --group G`. Messages with a\n" +
          "quarantine-reason are left alone (`quarantine discard --from dlq`). Asks first on a terminal; without a terminal it\n" +
          "refuses unless --yes. --dry-run lists what would go.",
      )
      .option("--message-id <id>", "discard the message with this ID (repeatable)", collect, [])
      .option("--group <group>", "discard the messages of this group (repeatable)", collect, [])
      .option(
        "--source <name>",
        `discard the webhooks of this source (repeatable; "${DEFAULT_SOURCE_NAME}" includes messages queued before sources existed)`,
        collect,
        [],
      )
      .option("--all", "discard every dead letter", false)
      .option("--dry-run", "list what would be discarded; change nothing", false)
      .option("-y, --yes", "do not ask for confirmation", false);
  },
  async run(global, values): Promise<CommandResult> {
    const filter = discardFilter(values);
    const { clients, dlq, heldGroupsTable } = await openQueues(global, { queue: "unused", dlq: "required", pair: true, heldGroups: true });
    const holds = heldGroupsTable ? new HeldGroups(clients.dynamodb, heldGroupsTable) : undefined;
    return moveMessages({ clients, from: dlq!, filter, dryRun: values.dryRun, yes: values.yes, ...(holds && { holds }) });
  },
};
