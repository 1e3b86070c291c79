/**
 * What `--stack NAME` knows: the deployed stack's terraform outputs and the webhook route
 * from the synthesized cdk.tf.json, read through ../shared/stack-files with the CLI's errors;
 * or, for a stack with no deployed outputs of its own, those of the running `npm run local`
 * rehearsal of it (../shared/running-rehearsal).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CommandError } from "../shared/run";
import { readRunningRehearsal, RehearsalEndpoints } from "../shared/running-rehearsal";
import { readStackOutputs as readOutputs, readSynthesizedStack, stackDirectory, StackOutputs } from "../shared/stack-files";
import { CliError } from "./errors";
import { note } from "./terminal";

function existingStackDirectory(stack: string, stacksDir: string | undefined): string {
  const dir = stackDirectory(stack, stacksDir);
  if (!existsSync(dir)) {
    throw new CliError(`stack ${stack} not found: ${dir} does not exist (synthesize and deploy it, or pass --stacks-dir)`);
  }
  return dir;
}

export async function readStackOutputs(stack: string, stacksDir: string | undefined): Promise<StackOutputs> {
  const dir = existingStackDirectory(stack, stacksDir);
  let outputs: StackOutputs;
  try {
    outputs = await readOutputs(dir);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "terraform is not on the PATH"
        : error instanceof CommandError
          ? error.result.stderr.trim() || error.message
          : (error as Error).message;
    throw new CliError(`cannot read the outputs of stack ${stack} in ${dir}: ${reason}`);
  }
  if (Object.keys(outputs).length === 0) {
    throw new CliError(`stack ${stack} has no outputs in ${dir}: deploy it first`);
  }
  return outputs;
}

/** What `--stack NAME` found. */
export interface FoundStack {
  readonly outputs: StackOutputs;
  /** The folder of its synthesized cdk.tf.json. */
  readonly directory: string;
  /** Set when the outputs are the running rehearsal's: its moto_server, region and pid. */
  readonly rehearsal?: RehearsalEndpoints;
}

/**
 * The stack's deployed outputs; when it has none of its own (no folder, never initialized, no
 * state) and `npm run local` runs it, the rehearsal's, said on stderr. An explicit --endpoint-url
 * (`endpointUrl`) still decides where the calls go.
 */
export async function findStack(
  stack: string,
  stacksDir: string | undefined,
  endpointUrl?: string,
  notice: (line: string) => void = note,
): Promise<FoundStack> {
  const rehearsal = readRunningRehearsal();
  if (rehearsal?.stack !== stack) return { outputs: await readStackOutputs(stack, stacksDir), directory: stackDirectory(stack, stacksDir) };
  const own = await readStackOutputs(stack, stacksDir).catch(() => undefined);
  if (own) return { outputs: own, directory: stackDirectory(stack, stacksDir) };
  notice(
    `webhook-queue: using the running \`npm run local\` rehearsal (pid ${rehearsal.pid}, moto_server ${rehearsal.moto}): ` +
      `stack ${stack} has no deployed outputs of its own${endpointUrl ? `; calls go to --endpoint-url ${endpointUrl}` : ""}`,
  );
  return { outputs: rehearsal.outputs, directory: rehearsal.stackDirectory, rehearsal };
}

/** A route key such as "POST /sqs-hook" as a method and a path ("$default" and ANY become POST). */
export function parseRouteKey(routeKey: string): { method: string; path: string } {
  if (routeKey === "$default") return { method: "POST", path: "/" };
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(routeKey.trim());
  if (!match) throw new CliError(`cannot use route key ${JSON.stringify(routeKey)}: expected "METHOD /path"`);
  return { method: match[1] === "ANY" ? "POST" : match[1], path: match[2] };
}

/** The webhook route's key from the stack's synthesized cdk.tf.json (in `directory`, found by findStack). */
export function readWebhookRouteKey(stack: string, directory: string): string {
  const file = join(directory, "cdk.tf.json");
  if (!existsSync(file)) throw new CliError(`stack ${stack} has no ${file}: synthesize it first`);
  const routeKey = readSynthesizedStack(directory).resource?.aws_apigatewayv2_route?.webhook_event_route?.route_key;
  if (typeof routeKey !== "string") {
    throw new CliError(`${file} has no aws_apigatewayv2_route.webhook_event_route.route_key`);
  }
  return routeKey;
}
