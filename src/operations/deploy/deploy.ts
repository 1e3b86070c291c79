/**
 * `npm run deploy -- <stack> [options]`: what `npm run plan` does (synth, terraform init,
 * plan to a file, the review), then applies EXACTLY that plan file after a confirmation:
 *
 * - a plan the review blocks (messages at risk, ../plan/risks.ts) is refused with exit 3,
 *   before any question; --allow-replace / --allow-risk accept it, as for `npm run plan`;
 * - on a terminal (stdin and stderr are TTYs) it asks `Apply this plan to stack "<stack>"? [y/N]`;
 *   `--yes` skips the question; without a terminal, or in CI (CI set, and not "false" or "0"),
 *   it refuses without --yes (exit 2) before planning anything;
 * - `terraform apply <planfile>`, never a fresh plan: if the state changed after the plan
 *   was made, terraform refuses the stale plan file and so does this command (exit 1);
 * - after the apply, the stack's outputs.
 *
 * `cdktf deploy` plans afresh and applies without this review; only the queues'
 * `prevent_destroy` holds there (docs/terraform.md).
 */
import { Command } from "commander";
import { relative } from "node:path";
import { canAsk, confirm } from "../cli/terminal";
import { ToolError, UsageError } from "../shared/command-line";
import { EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { CommandError } from "../shared/run";
import { readStackOutputs, StackOutputs } from "../shared/stack-files";
import { terraform } from "../terraform/terraform";
import { flagsNeeded } from "../plan/review";
import { stackProgram, parseStackCommandLine, PlanStackOptions, planStackInterruptibly, reviewText, runTool, step } from "../plan/plan";

export interface DeployCommandLine extends PlanStackOptions {
  /** Apply without asking (scripts, CI). */
  readonly yes: boolean;
}

/** What a deploy needs from its surroundings; tests give their own. */
export interface DeployIo {
  /** The environment CI is read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether there is someone to ask: stdin and stderr are terminals. @default canAsk() */
  readonly interactive?: boolean;
  /** Asks a yes/no question (the text gets ` [y/N] `). @default confirm() on the terminal */
  readonly ask?: (question: string) => Promise<boolean>;
  /** The review and the outputs. @default stdout */
  readonly out?: (text: string) => void;
  /** Progress and terraform's apply output. @default stderr */
  readonly err?: (text: string) => void;
}

/** True when the environment says CI: `CI` set to anything but "", "false" or "0". */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  const value = (env.CI ?? "").trim();
  return value !== "" && value.toLowerCase() !== "false" && value !== "0";
}

/**
 * Why the deploy cannot ask for its confirmation, or undefined when it may go on: with
 * --yes always; otherwise only on a terminal and not in CI.
 */
export function confirmationRefusal(stack: string, yes: boolean, interactive: boolean, env: NodeJS.ProcessEnv): string | undefined {
  if (yes) return undefined;
  const review = `review the plan first (npm run plan -- ${stack}), then pass --yes to apply it without a question`;
  if (inCi(env)) return `refusing to deploy without --yes in CI (CI=${env.CI}): nobody is there to confirm; ${review}`;
  if (!interactive) return `refusing to deploy without confirmation: there is no terminal to ask on (stdin and stderr must be TTYs); ${review}`;
  return undefined;
}

/** `terraform apply <planFile>` in the stack's folder; terraform's output goes to `onLine`. */
export async function applyPlanFile(stackDir: string, planFile: string, env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(
        "npm run deploy: terraform apply is running; stopping it midway can leave what it created out of the state. " +
          "It goes on; signal again to ask terraform to stop.\n",
      );
    } else controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    // Stopped, terraform apply finishes the operations in flight and writes the state: never killed.
    await terraform(["apply", "-input=false", "-no-color", "-lock-timeout=60s", planFile], {
      cwd: stackDir,
      env,
      onLine,
      signal: controller.signal,
      killAfterMs: null,
    });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`.trim();
    if (/Saved plan is stale/i.test(output)) {
      throw new ToolError(
        `terraform refused the reviewed plan: it is stale, the state changed after the plan was made (another apply, a state command, ` +
          `or this plan applied already). Nothing was applied. Run npm run deploy again to review a fresh plan.\n\n${output}`,
      );
    }
    throw new ToolError(
      `terraform apply ${error.why}: what was applied before the failure is in the state; npm run plan shows what is left.\n\n${output}`,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `name = value` lines of the stack's outputs. */
export function formatOutputs(stack: string, outputs: StackOutputs): string {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return `Stack "${stack}" has no outputs.`;
  const width = Math.max(...entries.map(([name]) => name.length));
  return [
    `Outputs of stack "${stack}":`,
    ...entries.map(([name, value]) => `  ${name.padEnd(width)} = ${typeof value === "string" ? value : JSON.stringify(value)}`),
  ].join("\n");
}

/** Plans, reviews, confirms and applies; the exit code. */
export async function deployStack(commandLine: DeployCommandLine, io: DeployIo = {}): Promise<number> {
  const out = io.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const err = io.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  const refusal = confirmationRefusal(commandLine.stack, commandLine.yes, io.interactive ?? canAsk(), io.env ?? process.env);
  if (refusal) throw new UsageError(refusal);

  const result = await planStackInterruptibly("npm run deploy", { ...commandLine, log: commandLine.log ?? err });
  out(reviewText(result));
  const planFile = relative(process.cwd(), result.planFile);
  if (result.review.blocked) {
    err(
      `npm run deploy: nothing applied: the review blocks this plan (MESSAGES AT RISK above; ${flagsNeeded(result.review).join(" and ")} would accept it).`,
    );
    return EXIT_BLOCKED;
  }
  const env = commandLine.env ?? {};
  if (!result.review.hasChanges) {
    out("\nNothing to apply: the plan makes no change.");
  } else {
    if (!commandLine.yes) {
      const ask = io.ask ?? confirm;
      if (!(await ask(`Apply this plan to stack "${result.stack}"?`))) {
        err(`npm run deploy: not confirmed: nothing applied (the plan stays in ${planFile}).`);
        return EXIT_FAILURE;
      }
    }
    err(`terraform apply ${planFile}`);
    await applyPlanFile(result.stackDir, result.planFile, env, (line) => err(`  ${line}`));
    out(`\nApplied the reviewed plan to stack "${result.stack}".`);
  }
  const outputs = await step("terraform output", () => readStackOutputs(result.stackDir, env));
  out(formatOutputs(result.stack, outputs));
  return EXIT_OK;
}

function deployProgram(): Command {
  return stackProgram({
    tool: "npm run deploy",
    description:
      "Synthesize, terraform init and plan one stack, review the plan as npm run plan does, then apply exactly that plan file after a confirmation.",
    exampleTarget: "aws_cloudwatch_log_group.webhook_event_producer",
    exitCodes:
      `${EXIT_OK} applied (or nothing to apply), ${EXIT_FAILURE} synth/init/plan/apply failed, a stale plan, or not confirmed,\n` +
      `${EXIT_USAGE} usage (also: no terminal, or CI, without --yes)`,
  }).option("--yes", "apply without asking (needed without a terminal, and in CI)", false);
}

/** Parses `npm run deploy -- ...`; `{ help }` for --help; a UsageError for a mistake. */
export function parseDeployArgs(argv: readonly string[]): DeployCommandLine | { readonly help: string } {
  const parsed = parseStackCommandLine(deployProgram(), argv);
  if ("help" in parsed) return parsed;
  return { ...parsed.options, yes: parsed.command.opts<{ yes: boolean }>().yes };
}

export function main(argv: readonly string[], io: DeployIo = {}): Promise<number> {
  return runTool("npm run deploy", argv, parseDeployArgs, (commandLine) => deployStack(commandLine, io));
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
