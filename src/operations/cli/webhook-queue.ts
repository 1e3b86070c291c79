/**
 * `webhook-queue`: the operators' tool for the webhook event queue.
 *   webhook-queue [global options] <status|peek|redrive|send> [options]
 * Each command lives in ./commands; this file builds the command line and prints.
 */
import { Command } from "commander";
import { parseCommandLine, UsageError } from "../shared/command-line";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { CliCommand } from "./command";
import { peekCommand } from "./commands/peek";
import { redriveCommand } from "./commands/redrive";
import { sendCommand } from "./commands/send";
import { statusCommand } from "./commands/status";
import { explainError } from "./errors";
import { addGlobalOptions, readGlobalOptions } from "./options";
import { CommandResult } from "./output";

export const COMMANDS: readonly CliCommand[] = [statusCommand, peekCommand, redriveCommand, sendCommand] as readonly CliCommand[];

/** The whole command line; `chosen` receives the command and its options when one is named. */
export function webhookQueueProgram(
  chosen: (command: CliCommand, options: Record<string, unknown>, globals: Record<string, unknown>) => void,
): Command {
  const program = addGlobalOptions(new Command("webhook-queue"))
    .description("Operate the webhook event queue (SQS FIFO queue + FIFO dead-letter queue).")
    .addHelpText(
      "after",
      `
Credentials come from the usual AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance roles).
Exit codes: ${EXIT_OK} ok, ${EXIT_FAILURE} operational failure, ${EXIT_USAGE} usage error, ${EXIT_INTERRUPTED} interrupted.`,
    );
  for (const cliCommand of COMMANDS) {
    const command = program.command(cliCommand.name).summary(cliCommand.summary);
    cliCommand.configure(command);
    command.action((options: Record<string, unknown>, self: Command) => chosen(cliCommand, options, self.optsWithGlobals()));
  }
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
    process.stdout.write(json ? `${JSON.stringify(result.document, null, 2)}\n` : `${result.text}\n`);
    return result.exitCode;
  } catch (error) {
    const failure = explainError(error);
    process.stderr.write(`webhook-queue: ${failure.message}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: failure.message, exitCode: failure.exitCode }, null, 2)}\n`);
    return failure.exitCode;
  }
}

/** Entry for the bin launcher. */
export function runFromCommandLine(): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
