/**
 * `npm run plan -- <stack> [options]`: synthesizes the app, runs `terraform init` and
 * `terraform plan` in the stack's output directory, and prints a review summary. Exits
 * with 3 when the plan would destroy or replace a queue, unless --allow-replace is given.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CommandError, cdktf, terraform, terraformVersion } from "./commands";
import { PlanReview, TerraformPlanJson, formatReview, reviewPlan } from "./plan-review";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_BLOCKED = 3;

export const USAGE = `Usage: npm run plan -- <stack> [--var-file FILE]... [--allow-replace] [--json] [--output DIR] [--skip-synth] [-- <terraform plan args>]

  <stack>            a stack of main.ts (cdktf.out/stacks/<stack>), e.g. emulator or mz-dev
  --var-file FILE    passed to terraform plan (repeatable; relative to the current directory)
  --allow-replace    accept a plan that destroys or replaces a queue (its messages are lost)
  --json             print the review as JSON instead of text
  --output DIR       synthesize into DIR instead of cdktf.out
  --skip-synth       plan what DIR already holds
  -- ARGS            more terraform plan arguments, e.g. -- -target=aws_sqs_queue.webhook_queue

Exit codes: 0 plan reviewed, 1 synth/init/plan failed, 2 usage, 3 a queue would be destroyed or replaced.
The emulator stack needs moto_server at WEBHOOK_QUEUE_EMULATOR_ENDPOINT; other stacks need AWS credentials.`;

export interface PlanStackOptions {
  readonly stack: string;
  readonly varFiles?: readonly string[];
  readonly allowReplace?: boolean;
  /** @default <project>/cdktf.out */
  readonly outputDir?: string;
  readonly skipSynth?: boolean;
  readonly terraformArgs?: readonly string[];
  /** Extra environment for the synth and terraform (e.g. the emulator endpoint). */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress messages. @default stderr */
  readonly log?: (message: string) => void;
}

export interface PlanStackResult {
  readonly stack: string;
  readonly stackDir: string;
  readonly planFile: string;
  readonly review: PlanReview;
  readonly exitCode: typeof EXIT_OK | typeof EXIT_BLOCKED;
}

export class PlanRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanRunError";
  }
}

export async function planStack(options: PlanStackOptions): Promise<PlanStackResult> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const outputDir = resolve(options.outputDir ?? join(PROJECT_ROOT, "cdktf.out"));
  const env = options.env ?? {};
  const version = terraformVersion();
  if (!version) throw new PlanRunError("terraform is not on the PATH: install Terraform >= 1.10 (the project is tested with 1.11.4).");

  if (!options.skipSynth) {
    log(`synth: cdktf synth --output ${outputDir}`);
    await step("cdktf synth", () => cdktf(["synth", "--output", outputDir], { env }));
  }
  const stackDir = join(outputDir, "stacks", options.stack);
  if (!existsSync(join(stackDir, "cdk.tf.json"))) {
    const stacksDir = join(outputDir, "stacks");
    const known = existsSync(stacksDir) ? readdirSync(stacksDir).join(", ") : "none";
    throw new PlanRunError(`No stack "${options.stack}" in ${outputDir} (stacks: ${known}).`);
  }
  await checkEmulatorReachable(stackDir);

  log(`terraform ${version}: init in ${relative(process.cwd(), stackDir) || "."}`);
  await step("terraform init", () => terraform(["init", "-input=false", "-no-color"], { cwd: stackDir, env }));

  const planFile = join(stackDir, "plan.tfplan");
  const varFiles = (options.varFiles ?? []).map((file) => {
    const absolute = resolve(file);
    if (!existsSync(absolute)) throw new PlanRunError(`--var-file ${file}: no such file (${absolute}).`);
    return `-var-file=${absolute}`;
  });
  log("terraform plan");
  await step("terraform plan", () =>
    terraform(["plan", "-input=false", "-no-color", "-lock-timeout=60s", `-out=${planFile}`, ...varFiles, ...(options.terraformArgs ?? [])], { cwd: stackDir, env }),
  );
  const shown = await step("terraform show", () => terraform(["show", "-json", "-no-color", planFile], { cwd: stackDir, env }));
  const review = reviewPlan(JSON.parse(shown.stdout) as TerraformPlanJson, { allowReplace: options.allowReplace });
  return { stack: options.stack, stackDir, planFile, review, exitCode: review.blocked ? EXIT_BLOCKED : EXIT_OK };
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const output = `${error.result.stdout}\n${error.result.stderr}`;
    throw new PlanRunError(`${name} failed (exit ${error.result.code}):\n${output.trim()}${hint(output)}`);
  }
}

/** Advice for the failures people meet first. */
function hint(output: string): string {
  if (/hashicorp\/archive/.test(output)) {
    return "\n\nhint: this stack packages the forwarder with data.archive_file, which needs hashicorp/archive in the provider mirror. " +
      'Add it to the mirror, or set forwarder.packaging: "zip" for the environment in src/environments.ts (docs/terraform.md).';
  }
  if (/No valid credential sources|failed to refresh cached credentials|NoCredentialProviders|InvalidClientTokenId/i.test(output)) {
    return "\n\nhint: this stack talks to real AWS: export AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/...) for the account of its S3 backend.";
  }
  return "";
}

/** The emulator stack's provider points at a local endpoint; say so plainly when nothing answers there. */
async function checkEmulatorReachable(stackDir: string): Promise<void> {
  const config = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    provider?: { aws?: { endpoints?: Record<string, string>[] }[] };
  };
  const endpoint = Object.values(config.provider?.aws?.[0]?.endpoints?.[0] ?? {})[0];
  if (!endpoint) return;
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(3000) });
  } catch {
    throw new PlanRunError(
      `The stack's AWS provider points at ${endpoint}, where nothing answers. Start the emulator (moto_server -H 127.0.0.1 -p <port>) ` +
        "and set WEBHOOK_QUEUE_EMULATOR_ENDPOINT=http://127.0.0.1:<port> before `npm run plan -- emulator`.",
    );
  }
}

export interface PlanCommandLine extends PlanStackOptions {
  readonly json: boolean;
}

/** Parses `npm run plan -- ...` arguments; throws a PlanRunError with the usage on a mistake. */
export function parsePlanArgs(argv: readonly string[]): PlanCommandLine {
  const varFiles: string[] = [];
  const positional: string[] = [];
  let allowReplace = false;
  let json = false;
  let skipSynth = false;
  let outputDir: string | undefined;
  let terraformArgs: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new PlanRunError(`${arg} needs a value.\n\n${USAGE}`);
      i += 1;
      return next;
    };
    if (arg === "--") {
      terraformArgs = argv.slice(i + 1);
      break;
    } else if (arg === "--var-file") varFiles.push(value());
    else if (arg.startsWith("--var-file=")) varFiles.push(arg.slice("--var-file=".length));
    else if (arg === "--allow-replace") allowReplace = true;
    else if (arg === "--json") json = true;
    else if (arg === "--skip-synth") skipSynth = true;
    else if (arg === "--output") outputDir = value();
    else if (arg.startsWith("--output=")) outputDir = arg.slice("--output=".length);
    else if (arg === "--help" || arg === "-h") throw new PlanRunError(USAGE);
    else if (arg.startsWith("-")) throw new PlanRunError(`Unknown option ${arg}.\n\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new PlanRunError(`Name exactly one stack (got ${positional.length ? positional.join(", ") : "none"}).\n\n${USAGE}`);
  return { stack: positional[0], varFiles, allowReplace, json, skipSynth, outputDir, terraformArgs };
}

export async function main(argv: readonly string[]): Promise<number> {
  let commandLine: PlanCommandLine;
  try {
    commandLine = parsePlanArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  try {
    const result = await planStack(commandLine);
    const text = formatReview(result.review, `Plan review: stack "${result.stack}" (${relative(process.cwd(), result.planFile)})`);
    if (commandLine.json) {
      // JSON for tools on stdout; the same review for people on stderr.
      process.stdout.write(`${JSON.stringify({ stack: result.stack, stackDir: result.stackDir, planFile: result.planFile, exitCode: result.exitCode, ...result.review }, null, 2)}\n`);
      process.stderr.write(`${text}\n`);
    } else {
      process.stdout.write(`${text}\n`);
    }
    return result.exitCode;
  } catch (error) {
    process.stderr.write(`npm run plan: ${error instanceof PlanRunError ? error.message : (error as Error).stack}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
