/**
 * `webhook-queue`: the operators' tool for the webhook event queue.
 *   webhook-queue [global options] <status|peek|redrive|send> [options]
 * Each command lives in ./commands; this file only dispatches and prints.
 */
import { Command } from "./command";
import { peekCommand } from "./commands/peek";
import { redriveCommand } from "./commands/redrive";
import { sendCommand } from "./commands/send";
import { statusCommand } from "./commands/status";
import { EXIT_OK, UsageError, explainError } from "./errors";
import { GLOBAL_HELP, splitCommand } from "./options";
import { CommandResult } from "./output";

export const COMMANDS: readonly Command[] = [statusCommand, peekCommand, redriveCommand, sendCommand];

export const MAIN_HELP = `webhook-queue: operate the webhook event queue (SQS FIFO queue + FIFO dead-letter queue)

Usage: webhook-queue [global options] <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(9)}${command.summary}`).join("\n")}

Run "webhook-queue <command> --help" for a command's options.

${GLOBAL_HELP}

Credentials come from the usual AWS sources (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, SSO, instance roles).
Exit codes: 0 ok, 1 operational failure, 2 usage error, 130 interrupted.`;

function mainHelp(exitCode: number): CommandResult {
  return { document: { help: MAIN_HELP }, text: MAIN_HELP, exitCode };
}

async function dispatch(args: readonly string[]): Promise<CommandResult> {
  const { command: name, rest } = splitCommand(args);
  const wantsHelp = rest.includes("--help") || rest.includes("-h");
  if (name === undefined) return mainHelp(wantsHelp ? EXIT_OK : 2);
  if (name === "help") {
    const topic = COMMANDS.find((command) => rest.includes(command.name));
    return topic ? topic.run(["--help"]) : mainHelp(EXIT_OK);
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}: use one of ${COMMANDS.map((c) => c.name).join(", ")}`);
  return command.run(rest);
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
    const hint = failure instanceof UsageError ? ' (see "webhook-queue --help")' : "";
    process.stderr.write(`webhook-queue: ${failure.message}${hint}\n`);
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
