/** The shape every command file exports. */
import { Command } from "commander";
import { GlobalOptions } from "./options";
import { CommandResult } from "./output";

export interface CliCommand<O = Record<string, unknown>> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** In a group: the one that runs when no subcommand is named. @default false */
  readonly isDefault?: boolean;
  /** Adds the command's own options and its longer help to `command`. */
  configure(command: Command): void;
  run(global: GlobalOptions, options: O): Promise<CommandResult>;
}

/** A command made of subcommands (`quarantine list|discard|release`). */
export interface CliCommandGroup {
  readonly name: string;
  readonly summary: string;
  /** The group's longer help. */
  readonly description: string;
  readonly subcommands: readonly CliCommand[];
}
