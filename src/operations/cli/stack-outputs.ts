/**
 * What `--stack NAME` knows: the deployed stack's terraform outputs and the webhook route
 * from the synthesized cdk.tf.json, read through ../shared/stack-files with the CLI's errors.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CommandError } from "../shared/run";
import { readStackOutputs as readOutputs, readSynthesizedStack, stackDirectory, StackOutputs } from "../shared/stack-files";
import { CliError } from "./errors";

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

/** A route key such as "POST /sqs-hook" as a method and a path ("$default" and ANY become POST). */
export function parseRouteKey(routeKey: string): { method: string; path: string } {
  if (routeKey === "$default") return { method: "POST", path: "/" };
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(routeKey.trim());
  if (!match) throw new CliError(`cannot use route key ${JSON.stringify(routeKey)}: expected "METHOD /path"`);
  return { method: match[1] === "ANY" ? "POST" : match[1], path: match[2] };
}

/** The webhook route's key from the stack's synthesized cdk.tf.json. */
export function readWebhookRouteKey(stack: string, stacksDir: string | undefined): string {
  const dir = existingStackDirectory(stack, stacksDir);
  const file = join(dir, "cdk.tf.json");
  if (!existsSync(file)) throw new CliError(`stack ${stack} has no ${file}: synthesize it first`);
  const routeKey = readSynthesizedStack(dir).resource?.aws_apigatewayv2_route?.webhook_event_route?.route_key;
  if (typeof routeKey !== "string") {
    throw new CliError(`${file} has no aws_apigatewayv2_route.webhook_event_route.route_key`);
  }
  return routeKey;
}
