/** The shape every command file exports, and the parsing they share. */
import { ParseArgsConfig, parseArgs } from "node:util";
import { EXIT_OK } from "./errors";
import { GLOBAL_HELP, GLOBAL_OPTIONS, GlobalOptions, parseOrUsageError, readGlobalOptions } from "./options";
import { CommandResult } from "./output";

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage and the command's own options (global options are appended). */
  readonly help: string;
  /** `args`: the command line without the command word, global options included. */
  run(args: string[]): Promise<CommandResult>;
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's options together with the global ones; anything unknown is a usage error. */
export function parseCommandArgs<O extends OptionsConfig>(args: string[], options: O) {
  const parsed = parseOrUsageError(() =>
    parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, strict: true, allowPositionals: false }),
  );
  const values = parsed.values as Record<string, unknown>;
  return { global: readGlobalOptions(values) as GlobalOptions, values: parsed.values };
}

export function helpResult(command: Pick<Command, "help">): CommandResult {
  const text = `${command.help}\n\n${GLOBAL_HELP}`;
  return { document: { help: text }, text, exitCode: EXIT_OK };
}
