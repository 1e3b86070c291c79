/**
 * `pause` and `resume`: switch off and on the event source mappings that read the main queue,
 * for a release of the application. Paused, webhooks keep queueing and nothing receives them, so
 * their receive counts do not climb towards the DLQ; resumed, Lambda delivers them in each
 * group's order.
 */
import { integerIn, UsageError } from "../../shared/command-line";
import { EXIT_FAILURE, EXIT_OK } from "../../shared/exit-codes";
import { queueNameOfUrl } from "../../shared/queue-pair";
import { terminalSafe } from "../../shared/terminal-safe";
import { openQueues } from "../aws";
import { CliCommand } from "../command";
import { CliError } from "../errors";
import { GlobalOptions } from "../options";
import { Switch, SwitchOutcome, functionNameOfArn, listEventSourceMappings, needsSwitch, switchMapping, targetState } from "../event-source-mappings";
import { CommandResult } from "../output";
import { canAsk, confirm, endProgress, progress } from "../terminal";

interface SwitchCommandOptions {
  readonly yes: boolean;
  readonly wait: number;
}

const DEFAULT_WAIT_SECONDS = 300;
const POLL_INTERVAL_MS = 1000;

const WORDS = {
  pause: { done: "paused", already: "already paused" },
  resume: { done: "resumed", already: "already delivering" },
} as const;

function question(action: Switch, queueName: string, functions: string, waiting: number): string {
  return action === "pause"
    ? `Pause deliveries from ${queueName} to ${functions}? Webhooks keep queueing; nothing is delivered until \`webhook-queue resume\`.`
    : `Resume deliveries from ${queueName} to ${functions}? ${waiting} webhooks waiting are delivered from now on.`;
}

function outcomeLine(action: Switch, outcome: SwitchOutcome): string {
  const mapping = `event source mapping ${outcome.uuid} (${functionNameOfArn(outcome.functionArn)})`;
  if (!outcome.changed && outcome.before === outcome.after) return `${WORDS[action].already}: ${mapping} is ${outcome.after}; nothing changed`;
  if (outcome.after !== targetState(action))
    return `${mapping}: ${outcome.after}, not waited for (--wait 0); webhook-queue status shows when it is ${targetState(action)}`;
  return `${WORDS[action].done}: ${mapping} is ${outcome.after}${outcome.waitedSeconds > 0 ? ` after ${outcome.waitedSeconds} s` : ""}`;
}

function waitingLine(action: Switch, waiting: number, inFlight: number): string {
  if (action === "resume") return `${waiting} webhooks waiting in the queue are delivered now, in each group's order`;
  const held = inFlight > 0 ? `; ${inFlight} in flight (batches the forwarder holds) are delivered or come back after the visibility timeout` : "";
  return `${waiting} webhooks waiting in the queue; new ones keep queueing, and nothing is delivered until \`webhook-queue resume\`${held}`;
}

async function run(action: Switch, global: GlobalOptions, values: SwitchCommandOptions): Promise<CommandResult> {
  const { clients, queue } = await openQueues(global, { queue: "required", dlq: "unused" });
  const { url, arn, visible: waiting, inFlight } = queue!;
  const mappings = await listEventSourceMappings(clients.lambda, arn);
  if (mappings.length === 0) throw new CliError(`no event source mapping reads ${arn} (${clients.where}): nothing to ${action}`);
  const queueName = queueNameOfUrl(url);
  const functions = [...new Set(mappings.map((mapping) => functionNameOfArn(mapping.functionArn)))].join(", ");
  const document = { action, queue: url, queueArn: arn, waiting };

  if (mappings.some((mapping) => needsSwitch(action, mapping.state)) && !values.yes) {
    if (!canAsk()) {
      throw new UsageError(`refusing to ${action} deliveries without confirmation: there is no terminal to ask on; pass --yes`);
    }
    if (!(await confirm(terminalSafe(question(action, queueName, functions, waiting))))) {
      return {
        document: { ...document, confirmed: false, eventSourceMappings: mappings },
        text: `not confirmed: nothing ${WORDS[action].done}`,
        exitCode: EXIT_FAILURE,
      };
    }
  }

  const outcomes: SwitchOutcome[] = [];
  try {
    for (const mapping of mappings) {
      outcomes.push(
        await switchMapping(clients.lambda, mapping, action, {
          timeoutMs: values.wait * 1000,
          intervalMs: POLL_INTERVAL_MS,
          onState: (state, waitedMs) => progress(`event source mapping ${mapping.uuid}: ${state} (${Math.round(waitedMs / 1000)} s)`),
        }),
      );
    }
  } finally {
    endProgress();
  }
  const changed = outcomes.some((outcome) => outcome.changed);
  return {
    document: { ...document, changed, eventSourceMappings: outcomes },
    text: [...outcomes.map((outcome) => outcomeLine(action, outcome)), waitingLine(action, waiting, inFlight)]
      .map((line) => terminalSafe(line))
      .join("\n"),
    exitCode: EXIT_OK,
  };
}

function switchCommand(action: Switch, summary: string, description: string): CliCommand<SwitchCommandOptions> {
  return {
    name: action,
    summary,
    configure(command) {
      command
        .description(
          `${description}\n\n` +
            "The mappings are those whose event source is the main queue (--queue-url, or the stack's queue_url). Asks first on a\n" +
            `terminal; without a terminal it refuses unless --yes. Then waits until Lambda reports each mapping ${targetState(action)}, with\n` +
            `progress on stderr. A mapping already ${targetState(action)} is left as it is (exit 0).`,
        )
        .option("-y, --yes", "do not ask for confirmation", false)
        .option(
          "--wait <seconds>",
          `wait up to this long for each mapping to be ${targetState(action)} (0: ask Lambda and return)`,
          integerIn("wait", 0, 3600),
          DEFAULT_WAIT_SECONDS,
        );
    },
    run: (global, values) => run(action, global, values),
  };
}

export const pauseCommand = switchCommand(
  "pause",
  "stop deliveries for a release: disable the event source mapping; webhooks keep queueing",
  "Disables the Lambda event source mapping that reads the main queue (UpdateEventSourceMapping Enabled=false): webhooks\n" +
    "keep queueing, nothing receives them (their receive counts stay where they are), nothing is delivered until `resume`.\n" +
    "A deploy of the stack also resumes it (the stack says enabled = true): the plan review lists that update.",
);

export const resumeCommand = switchCommand(
  "resume",
  "deliver again after a pause: enable the event source mapping",
  "Enables the Lambda event source mapping that reads the main queue (UpdateEventSourceMapping Enabled=true) and says how\n" +
    "many webhooks are waiting (ApproximateNumberOfMessages): Lambda delivers them in each group's order.",
);
