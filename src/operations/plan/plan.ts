/**
 * `npm run plan -- <stack> [options]`: synthesizes the app, runs `terraform init` and
 * `terraform plan` in the stack's output directory, and prints a review summary. Exits
 * with 3 when the plan puts queued messages at risk: a queue destroyed or replaced (unless
 * --allow-replace), or another risky change (unless --allow-risk; ./risks.ts).
 *
 * `npm run deploy` (../deploy/deploy.ts) goes through the same code: planStack(), the
 * shared options (stackProgram / parseStackCommandLine), the same review text (reviewText) and
 * error handling (runTool); it then applies the reviewed plan file.
 */
import { Command } from "commander";
import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CDKTF_OUT_DIR } from "../../project";
import { collect, parseCommandLine, ToolError, UsageError } from "../shared/command-line";
import { EXIT_BLOCKED, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { abortOnInterrupt, CommandError, STOPPED_ABORTED } from "../shared/run";
import { emulatorNotReady } from "../emulator/readiness";
import { emulatorEndpointOf, MixedStackFilesError, readSynthesizedStack, stackFileOf, SynthesizedStack } from "../shared/stack-files";
import { providerHint } from "../terraform/provider-installation";
import { cdktf, terraform, terraformJson, terraformVersion } from "../terraform/terraform";
import { PlanReview, TerraformPlanJson, formatReview, reviewPlan } from "./review";

export interface PlanStackOptions {
  readonly stack: string;
  readonly varFiles?: readonly string[];
  readonly allowReplace?: boolean;
  readonly allowRisk?: boolean;
  /** @default <project>/cdktf.out */
  readonly outputDir?: string;
  readonly skipSynth?: boolean;
  readonly terraformArgs?: readonly string[];
  /** Extra environment for the synth and terraform (e.g. the emulator endpoint). */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress messages. @default stderr */
  readonly log?: (message: string) => void;
  /** Aborting stops the synth or terraform step in progress (terraform releases the state lock); the plan ends with exit 130. */
  readonly signal?: AbortSignal;
}

export interface PlanStackResult {
  readonly stack: string;
  readonly stackDir: string;
  readonly planFile: string;
  readonly review: PlanReview;
  readonly exitCode: typeof EXIT_OK | typeof EXIT_BLOCKED;
}

export async function planStack(options: PlanStackOptions): Promise<PlanStackResult> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const outputDir = resolve(options.outputDir ?? CDKTF_OUT_DIR);
  const env = options.env ?? {};
  const signal = options.signal;
  if (!options.skipSynth) {
    log(`synth: cdktf synth --output ${outputDir}`);
    await step("cdktf synth", () => cdktf(["synth", "--output", outputDir], { env, signal }));
  }
  const stackDir = join(outputDir, "stacks", options.stack);
  const stackFile = stackFileIn(stackDir);
  if (!stackFile) {
    const stacksDir = join(outputDir, "stacks");
    const known = existsSync(stacksDir) ? readdirSync(stacksDir).join(", ") : "none";
    throw new ToolError(`No stack "${options.stack}" in ${outputDir} (stacks: ${known}).`);
  }
  if (stackFile.endsWith(".json")) await checkEmulator(stackDir, options);
  const version = terraformVersion();
  if (!version) throw new ToolError("terraform is not on the PATH: install Terraform >= 1.10 (the project is tested with 1.11.4).");

  log(`terraform ${version}: init in ${relative(process.cwd(), stackDir) || "."}`);
  await step("terraform init", () => terraform(["init", "-input=false", "-no-color"], { cwd: stackDir, env, signal }));

  const planFile = join(stackDir, "plan.tfplan");
  const varFiles = (options.varFiles ?? []).map((file) => {
    const absolute = resolve(file);
    if (!existsSync(absolute)) throw new ToolError(`--var-file ${file}: no such file (${absolute}).`);
    return `-var-file=${absolute}`;
  });
  log("terraform plan");
  await step("terraform plan", () =>
    terraform(["plan", "-input=false", "-no-color", "-lock-timeout=60s", `-out=${planFile}`, ...varFiles, ...(options.terraformArgs ?? [])], {
      cwd: stackDir,
      env,
      signal,
    }),
  );
  const plan = await step("terraform show", () => terraformJson<TerraformPlanJson>(stackDir, ["show", "-json", "-no-color", planFile], env, signal));
  const review = reviewPlan(plan, { allowReplace: options.allowReplace, allowRisk: options.allowRisk });
  return { stack: options.stack, stackDir, planFile, review, exitCode: review.blocked ? EXIT_BLOCKED : EXIT_OK };
}

/** planStack for a tool run from a terminal: Ctrl-C stops the step in progress cleanly (see abortOnInterrupt). */
export async function planStackInterruptibly(tool: string, options: PlanStackOptions): Promise<PlanStackResult> {
  const interrupt = abortOnInterrupt(tool);
  try {
    return await planStack({ ...options, signal: interrupt.signal });
  } finally {
    interrupt.dispose();
  }
}

/** Runs a terraform or cdktf step; its failure becomes a ToolError with terraform's output and a hint. */
export async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    if (error.why === STOPPED_ABORTED) throw new ToolError(`${name} stopped: interrupted, nothing applied`, EXIT_INTERRUPTED);
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    throw new ToolError(`${name} failed (${error.why}):\n${output.trim()}${hint(output)}`);
  }
}

/** Advice for the failures people meet first. */
function hint(output: string): string {
  if (/No valid credential sources|failed to refresh cached credentials|NoCredentialProviders|InvalidClientTokenId/i.test(output)) {
    return "\n\nhint: this stack talks to real AWS: export AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/...) for the account of its S3 backend.";
  }
  const provider = providerHint(output);
  if (provider && /hashicorp\/archive/.test(output)) {
    return `${provider}\nOr set packaging: "zip" for the environment in src/infrastructure/environments.ts: no archive provider is needed then.`;
  }
  return provider;
}

/** The stack's Terraform file; a folder with both formats is refused in one line. */
function stackFileIn(stackDir: string): string | undefined {
  try {
    return stackFileOf(stackDir);
  } catch (error) {
    if (error instanceof MixedStackFilesError) throw new ToolError(`${error.message}.`);
    throw error;
  }
}

/**
 * The emulator stack's provider points at a local endpoint: refused in one line, with the command
 * to run, when no moto_server answers there or it lacks the HTTP API the stack looks up (unless
 * a var file or -var may name another one).
 */
async function checkEmulator(stackDir: string, options: PlanStackOptions): Promise<void> {
  const stack = readSynthesizedStack(stackDir) as SynthesizedStack & {
    readonly variable?: { readonly apigw_name?: { readonly default?: unknown } };
    readonly provider?: { readonly aws?: readonly { readonly region?: string }[] };
  };
  const endpoint = emulatorEndpointOf(stack);
  if (!endpoint) return;
  const variablesGiven = (options.varFiles ?? []).length > 0 || (options.terraformArgs ?? []).some((arg) => /^-var(-file)?(=|$)/.test(arg));
  const apigwName = stack.variable?.apigw_name?.default;
  const problem = await emulatorNotReady({
    endpoint,
    region: stack.provider?.aws?.[0]?.region ?? "us-east-1",
    apigwName: typeof apigwName === "string" && !variablesGiven ? apigwName : undefined,
  });
  if (problem) throw new ToolError(problem);
}

/** The text review `npm run plan` and `npm run deploy` print. */
export function reviewText(result: PlanStackResult): string {
  return formatReview(result.review, `Plan review: stack "${result.stack}" (${relative(process.cwd(), result.planFile)})`);
}

/** What `npm run plan` and `npm run deploy` say differently in their help. */
export interface StackProgramText {
  /** e.g. `npm run plan` */
  readonly tool: string;
  readonly description: string;
  /** A -target a user might pass after the second `--`. */
  readonly exampleTarget: string;
  /** The tool's exit codes but the blocked one, which they share. */
  readonly exitCodes: string;
  /** The last lines of the help. */
  readonly footer?: string;
}

/** A tool on one stack, with the options `npm run plan` and `npm run deploy` share and their help. */
export function stackProgram(text: StackProgramText): Command {
  const program = new Command(`${text.tool} --`).description(text.description);
  program.addHelpText(
    "after",
    [
      "",
      `More terraform plan arguments go after a second --, e.g. ${text.tool} -- emulator -- -target=${text.exampleTarget}`,
      "",
      `Exit codes: ${text.exitCodes}, ${EXIT_BLOCKED_HELP}.`,
      "The emulator stack needs moto_server at WEBHOOK_QUEUE_EMULATOR_ENDPOINT; other stacks need AWS credentials.",
      ...(text.footer ? [text.footer] : []),
    ].join("\n"),
  );
  return program
    .argument("<stack>", "a stack of main.ts (cdktf.out/stacks/<stack>), e.g. emulator or mz-dev")
    .option("--var-file <file>", "passed to terraform plan (repeatable; relative to the current directory)", collect, [])
    .option("--allow-replace", "accept a plan that destroys or replaces a queue (its messages are lost)", false)
    .option(
      "--allow-risk",
      "accept the other changes that put queued messages at risk: lowered retention or maxReceiveCount, redrive policy removed or retargeted, queue KMS key changed, " +
        "event source mapping disabled, filtered, without partial batch responses or gone, forwarder throttled, retry budget lowered or removed, " +
        "ingress route or integration gone, log group gone, queue forgotten",
      false,
    )
    .option("--output <dir>", "synthesize into DIR instead of cdktf.out")
    .option("--skip-synth", "plan what the output folder already holds", false);
}

/** The blocked exit code in both tools' help. */
export const EXIT_BLOCKED_HELP = `${EXIT_BLOCKED} blocked: messages at risk (a queue destroyed or replaced: --allow-replace; another risky change: --allow-risk)`;

/**
 * Parses a command line of `program` (made with stackProgram): the stack, the shared
 * options, and terraform plan arguments after a second `--`. `{ help }` for --help; a
 * UsageError for a mistake.
 */
export function parseStackCommandLine(
  program: Command,
  argv: readonly string[],
): { readonly help: string } | { readonly command: Command; readonly options: PlanStackOptions } {
  const separator = argv.indexOf("--");
  const own = separator < 0 ? argv : argv.slice(0, separator);
  const parsed = parseCommandLine(program, own);
  if (parsed.help !== undefined) return { help: parsed.help };
  const options = parsed.command.opts<{ varFile: string[]; allowReplace: boolean; allowRisk: boolean; output?: string; skipSynth: boolean }>();
  return {
    command: parsed.command,
    options: {
      stack: parsed.command.args[0],
      varFiles: options.varFile,
      allowReplace: options.allowReplace,
      allowRisk: options.allowRisk,
      skipSynth: options.skipSynth,
      outputDir: options.output,
      terraformArgs: separator < 0 ? [] : argv.slice(separator + 1),
    },
  };
}

/**
 * Runs a tool's main: --help printed with exit 0, a UsageError with 2, a ToolError with
 * its exit code, anything else with 1 and its stack; `name` prefixes the messages.
 */
export async function runTool<T>(
  name: string,
  argv: readonly string[],
  parse: (argv: readonly string[]) => T | { readonly help: string },
  work: (commandLine: T) => Promise<number>,
): Promise<number> {
  let commandLine: T;
  try {
    const parsed = parse(argv);
    if (parsed !== null && typeof parsed === "object" && "help" in parsed) {
      process.stdout.write(`${parsed.help}\n`);
      return EXIT_OK;
    }
    commandLine = parsed as T;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    return EXIT_USAGE;
  }
  try {
    return await work(commandLine);
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof ToolError ? error.message : (error as Error).stack}\n`);
    return error instanceof ToolError ? error.exitCode : EXIT_FAILURE;
  }
}

export interface PlanCommandLine extends PlanStackOptions {
  readonly json: boolean;
}

function planProgram(): Command {
  return stackProgram({
    tool: "npm run plan",
    description: "Synthesize, terraform init and plan one stack, and review the plan: every change by address, and a verdict.",
    exampleTarget: "aws_sqs_queue.webhook_queue",
    exitCodes: `${EXIT_OK} plan reviewed, ${EXIT_FAILURE} synth/init/plan failed, ${EXIT_USAGE} usage`,
    footer: "To apply exactly the reviewed plan, with a confirmation: npm run deploy -- <stack>.",
  }).option("--json", "print the review as JSON on stdout (the text goes to stderr)", false);
}

/** Parses `npm run plan -- ...`; `{ help }` for --help; a UsageError for a mistake. */
export function parsePlanArgs(argv: readonly string[]): PlanCommandLine | { readonly help: string } {
  const parsed = parseStackCommandLine(planProgram(), argv);
  if ("help" in parsed) return parsed;
  return { ...parsed.options, json: parsed.command.opts<{ json: boolean }>().json };
}

export function main(argv: readonly string[]): Promise<number> {
  return runTool("npm run plan", argv, parsePlanArgs, async (commandLine) => {
    const result = await planStackInterruptibly("npm run plan", commandLine);
    const text = reviewText(result);
    if (commandLine.json) {
      // JSON for tools on stdout; the same review for people on stderr.
      process.stdout.write(
        `${JSON.stringify({ stack: result.stack, stackDir: result.stackDir, planFile: result.planFile, exitCode: result.exitCode, ...result.review }, null, 2)}\n`,
      );
      process.stderr.write(`${text}\n`);
    } else {
      process.stdout.write(`${text}\n`);
    }
    return result.exitCode;
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
