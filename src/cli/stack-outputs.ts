/**
 * What `--stack NAME` knows: the deployed stack's terraform outputs (read with
 * `terraform output -json` in its directory) and the webhook route from the
 * synthesized cdk.tf.json.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { terraformEnv } from "../terraform/cli-config";
import { CliError } from "./errors";
import { STACKS_DIR_ENV } from "./options";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

/** The outputs the webhook queue stack declares. */
export interface StackOutputs {
  readonly queue_url?: string;
  readonly queue_arn?: string;
  readonly dlq_url?: string;
  readonly dlq_arn?: string;
  readonly apigateway_endpoint?: string;
  readonly apigateway_id?: string;
}

export function stackDirectory(stack: string, stacksDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const root = stacksDir ?? env[STACKS_DIR_ENV] ?? join(PROJECT_ROOT, "cdktf.out", "stacks");
  return resolve(root, stack);
}

function existingStackDirectory(stack: string, stacksDir: string | undefined): string {
  const dir = stackDirectory(stack, stacksDir);
  if (!existsSync(dir)) {
    throw new CliError(`stack ${stack} not found: ${dir} does not exist (synthesize and deploy it, or pass --stacks-dir)`);
  }
  return dir;
}

/** Keeps the string-valued outputs of a `terraform output -json` document. */
export function parseTerraformOutputs(json: string): StackOutputs {
  const document = JSON.parse(json) as Record<string, { value?: unknown }>;
  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(document)) {
    if (typeof output?.value === "string") outputs[name] = output.value;
  }
  return outputs;
}

export async function readStackOutputs(stack: string, stacksDir: string | undefined): Promise<StackOutputs> {
  const dir = existingStackDirectory(stack, stacksDir);
  // `terraform output` installs no provider: on an operator's machine without the project's
  // provider mirror, the operator's own terraform configuration serves.
  let env: NodeJS.ProcessEnv;
  try {
    env = terraformEnv();
  } catch {
    env = { ...process.env, TF_IN_AUTOMATION: "1" };
  }
  const stdout = await new Promise<string>((resolveOutput, reject) => {
    execFile("terraform", ["output", "-json"], { cwd: dir, env, timeout: 60_000, maxBuffer: 16 << 20 }, (error, out, err) => {
      if (error) {
        const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "terraform is not on the PATH" : String(err).trim() || error.message;
        reject(new CliError(`cannot read the outputs of stack ${stack} in ${dir}: ${reason}`));
      } else {
        resolveOutput(out);
      }
    });
  });
  const outputs = parseTerraformOutputs(stdout);
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
  const file = join(existingStackDirectory(stack, stacksDir), "cdk.tf.json");
  if (!existsSync(file)) throw new CliError(`stack ${stack} has no ${file}: synthesize it first`);
  const config = JSON.parse(readFileSync(file, "utf8")) as {
    resource?: { aws_apigatewayv2_route?: Record<string, { route_key?: unknown }> };
  };
  const routeKey = config.resource?.aws_apigatewayv2_route?.webhook_event_route?.route_key;
  if (typeof routeKey !== "string") {
    throw new CliError(`${file} has no aws_apigatewayv2_route.webhook_event_route.route_key`);
  }
  return routeKey;
}
