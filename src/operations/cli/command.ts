/** The shape every command file exports. */
import { Command } from "commander";
import { GlobalOptions } from "./options";
import { CommandResult } from "./output";

export interface CliCommand<O = Record<string, unknown>> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Adds the command's own options and its longer help to `command`. */
  configure(command: Command): void;
  run(global: GlobalOptions, options: O): Promise<CommandResult>;
}
