/**
 * The operators' tools parse their command lines with commander: help comes from the option
 * definitions, and every mistake is a UsageError (exit 2) that says what was wrong and shows
 * the usage. Failures while working are ToolErrors with their exit code.
 */
import { Command, CommanderError } from "commander";
import { EXIT_FAILURE, EXIT_USAGE } from "./exit-codes";

/** A failure a tool reports in one line and exits with `exitCode`. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

/** A command line the tool cannot act on. */
export class UsageError extends ToolError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = "UsageError";
  }
}

/** Wide enough for the options' descriptions on one line each, as the help of other ops tools reads. */
const HELP_WIDTH = 120;

export type Parsed = { readonly help: string } | { readonly help?: undefined; readonly command: Command };

/**
 * Parses `argv` (user arguments, no node or script path) with `program`, which must be a fresh
 * one (commander keeps values between parses). `--help` gives its text back instead of printing
 * it; a mistake throws a UsageError carrying commander's message and the usage.
 */
export function parseCommandLine(program: Command, argv: readonly string[]): Parsed {
  let help = "";
  let error = "";
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => (help += text),
      writeErr: (text) => (error += text),
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
    });
    command.commands.forEach(configure);
  };
  configure(program);
  try {
    program.parse([...argv], { from: "user" });
  } catch (thrown) {
    if (!(thrown instanceof CommanderError)) throw thrown;
    const usage = (helpOf(program, argv) ?? program).helpInformation().trimEnd();
    const asked = thrown.code === "commander.helpDisplayed" || thrown.code === "commander.help" || thrown.code === "commander.version";
    if (asked && thrown.exitCode === 0) return { help: help.trimEnd() };
    // commander shows the help by itself, as an error, when a program with commands gets none.
    if (asked) throw new UsageError(`a command is needed\n\n${usage}`);
    throw new UsageError(`${thrown.message.replace(/^error: /, "")}\n\n${usage}`);
  }
  if (error) throw new UsageError(error.trim());
  return { command: program };
}

/** The subcommand named on the command line, if any, for the usage shown with an error. */
function helpOf(program: Command, argv: readonly string[]): Command | undefined {
  return program.commands.find((command) => argv.includes(command.name()));
}

/** commander's collector for a repeatable option. */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** A whole number option within [min, max], for commander's argParser. */
export function integerIn(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new UsageError(`--${name} ${value} is not allowed: give a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}
