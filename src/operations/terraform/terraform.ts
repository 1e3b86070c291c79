/**
 * terraform and the project's cdktf CLI, run through the one runner (../shared/run.ts) with
 * the project's provider installation (./provider-installation.ts) in their environment.
 */
import { spawnSync } from "node:child_process";
import { CDKTF_CLI } from "../../project";
import { run, RunOptions, RunResult } from "../shared/run";
import { terraformEnv } from "./provider-installation";

export interface TerraformRunOptions extends Omit<RunOptions, "env"> {
  /** Merged over process.env, then given the project's Terraform settings. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Stopped, terraform finishes the operations in flight, writes the state and releases the lock: give it time. */
const TERRAFORM_KILL_AFTER_MS = 120_000;

export function terraform(args: readonly string[], options: TerraformRunOptions = {}): Promise<RunResult> {
  return run("terraform", args, { killAfterMs: TERRAFORM_KILL_AFTER_MS, ...options, env: terraformEnv({ ...process.env, ...options.env }) });
}

/** The project's own cdktf CLI (node_modules/.bin/cdktf), as the ops team runs it, without prompts. */
export function cdktf(args: readonly string[], options: TerraformRunOptions = {}): Promise<RunResult> {
  return run(CDKTF_CLI, args, { killAfterMs: TERRAFORM_KILL_AFTER_MS, ...options, env: terraformEnv({ ...process.env, CI: "1", ...options.env }) });
}

/** `terraform <args>` that prints JSON (`output -json`, `show -json`), parsed. */
export async function terraformJson<T>(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<T> {
  return JSON.parse((await terraform(args, { cwd, env, signal })).stdout) as T;
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
