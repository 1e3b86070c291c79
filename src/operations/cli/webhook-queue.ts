/**
 * `webhook-queue`: the operators' tool for the webhook event queue.
 *   webhook-queue [global options] <status|peek|redrive|discard|quarantine|send|pause|resume> [options]
 * Each command lives in ./commands; this file builds the command line and prints.
 */
import { Command } from "commander";
import { parseCommandLine, UsageError } from "../shared/command-line";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { safeLines, terminalSafeJson } from "../shared/terminal-safe";
import { CliCommand, CliCommandGroup } from "./command";
import { discardCommand } from "./commands/discard";
import { pauseCommand, resumeCommand } from "./commands/pause";
import { peekCommand } from "./commands/peek";
import { quarantineCommand } from "./commands/quarantine";
import { redriveCommand } from "./commands/redrive";
import { sendCommand } from "./commands/send";
import { statusCommand } from "./commands/status";
import { explainError } from "./errors";
import { addGlobalOptions, readGlobalOptions } from "./options";
import { CommandResult } from "./output";

const COMMANDS: readonly (CliCommand | CliCommandGroup)[] = [
  statusCommand,
  peekCommand,
  redriveCommand,
  discardCommand,
  quarantineCommand,
  sendCommand,
  pauseCommand,
  resumeCommand,
] as readonly (CliCommand | CliCommandGroup)[];

type Chosen = (command: CliCommand, options: Record<string, unknown>, globals: Record<string, unknown>) => void;

function addCommand(parent: Command, entry: CliCommand | CliCommandGroup, chosen: Chosen): void {
  const command = parent.command(entry.name, { isDefault: "isDefault" in entry && entry.isDefault === true }).summary(entry.summary);
  if ("subcommands" in entry) {
    command.description(entry.description);
    for (const subcommand of entry.subcommands) addCommand(command, subcommand, chosen);
    return;
  }
  entry.configure(command);
  command.action((options: Record<string, unknown>, self: Command) => chosen(entry, options, self.optsWithGlobals()));
}

/** The whole command line; `chosen` receives the command and its options when one is named. */
export function webhookQueueProgram(chosen: Chosen): Command {
  const program = addGlobalOptions(new Command("webhook-queue"))
    .description("Operate the webhook event queue (SQS FIFO queue + FIFO dead-letter queue + FIFO quarantine queue).")
    .addHelpText(
      "after",
      `
Credentials come from the usual AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance roles).
Exit codes: ${EXIT_OK} ok, ${EXIT_FAILURE} operational failure, ${EXIT_USAGE} usage error, ${EXIT_INTERRUPTED} interrupted.`,
    );
  for (const entry of COMMANDS) addCommand(program, entry, chosen);
  return program;
}

async function dispatch(args: readonly string[]): Promise<CommandResult> {
  let selected: { command: CliCommand; options: Record<string, unknown>; globals: Record<string, unknown> } | undefined;
  const parsed = parseCommandLine(
    webhookQueueProgram((command, options, globals) => (selected = { command, options, globals })),
    args,
  );
  if (parsed.help !== undefined) return { document: { help: parsed.help }, text: parsed.help, exitCode: EXIT_OK };
  if (!selected) throw new UsageError(`name a command: ${COMMANDS.map((command) => command.name).join(", ")} (see "webhook-queue --help")`);
  return selected.command.run(readGlobalOptions(selected.globals), selected.options);
}

/** Runs one command line; returns the exit code. Output goes to stdout (result) and stderr (errors, progress). */
export async function main(args: readonly string[]): Promise<number> {
  const json = args.includes("--json");
  try {
    const result = await dispatch(args);
    // What a message, a file or an AWS answer carries reaches the terminal only escaped: here, whatever the command did.
    process.stdout.write(json ? `${terminalSafeJson(result.document, 2)}\n` : `${safeLines(result.text)}\n`);
    return result.exitCode;
  } catch (error) {
    const failure = explainError(error);
    process.stderr.write(`webhook-queue: ${safeLines(failure.message)}\n`);
    if (json) process.stdout.write(`${terminalSafeJson({ error: failure.message, exitCode: failure.exitCode }, 2)}\n`);
    return failure.exitCode;
  }
}

/** Entry for the bin launcher. */
export function runFromCommandLine(): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
