/**
 * Child processes for terraform and the cdktf CLI, always with the project's Terraform
 * CLI configuration (`terraformEnv()`): the plan runner and the end-to-end tests use these.
 */
import { spawn, spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { terraformEnv } from "./cli-config";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const CDKTF_CLI = join(PROJECT_ROOT, "node_modules", ".bin", "cdktf");

export interface CommandResult {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd?: string;
  /** Merged over process.env, then passed through `terraformEnv()`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Copy the child's output to ours as it comes (long deploys). @default false */
  readonly echo?: boolean;
}

export class CommandError extends Error {
  constructor(readonly result: CommandResult) {
    super(`\`${result.command}\` exited with ${result.code}:\n${tail(result.stderr || result.stdout)}`);
    this.name = "CommandError";
  }
}

function tail(text: string, lines = 60): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs a command with the project's Terraform environment; resolves with its exit code, never rejects on one. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const command = [file, ...args].join(" ");
  const env = terraformEnv({ ...process.env, ...options.env });
  return new Promise((resolveResult, reject) => {
    const child = spawn(file, args, { cwd: options.cwd ?? PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolveResult({ command, code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Like runCommand, but a non-zero exit (other than those listed in `okCodes`) throws a CommandError. */
export async function runChecked(file: string, args: readonly string[], options: CommandOptions & { okCodes?: readonly number[] } = {}): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0 && !(options.okCodes ?? []).includes(result.code)) throw new CommandError(result);
  return result;
}

export function terraform(args: readonly string[], options: CommandOptions & { okCodes?: readonly number[] } = {}): Promise<CommandResult> {
  return runChecked("terraform", args, options);
}

/** The project's own cdktf CLI (node_modules/.bin/cdktf), as the ops team runs it. */
export function cdktf(args: readonly string[], options: CommandOptions & { okCodes?: readonly number[] } = {}): Promise<CommandResult> {
  return runChecked(CDKTF_CLI, args, { ...options, env: { CI: "1", ...options.env } });
}

/** `terraform version` of the terraform on the PATH, or undefined when there is none. */
export function terraformVersion(): string | undefined {
  const result = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (result.status !== 0) return undefined;
  try {
    return (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
  } catch {
    return undefined;
  }
}
