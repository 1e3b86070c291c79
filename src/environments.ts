/**
 * The environments `main.ts` synthesizes, one stack each. Ops teams edit this file:
 * the S3 backend here must point at the state the article's Terraform already uses.
 */
import { WebhookQueueSettings } from "./settings";

/** The article's environment: prefix `mz-dev` in Tokyo, state in the team's S3 bucket. */
export const mzDev: WebhookQueueSettings = {
  stackName: "mz-dev",
  prefix: "mz-dev",
  region: "ap-northeast-1",
  defaultTags: { Project: "mz", Environment: "dev", ManagedBy: "terraform" },
  backend: {
    kind: "s3",
    bucket: "mz-dev-terraform-state",
    key: "webhook-event-queue/terraform.tfstate",
    region: "ap-northeast-1",
    encrypt: true,
    useLockfile: true,
  },
};

/** Where the emulator profile's provider sends its calls; `npm run local` and the tests set it. */
export const EMULATOR_ENDPOINT_ENV = "WEBHOOK_QUEUE_EMULATOR_ENDPOINT";
export const EMULATOR_STATE_FILE_ENV = "WEBHOOK_QUEUE_EMULATOR_STATE";
/**
 * The forwarder's routes as JSON (`{"<group>": {"<name>": "<url>"}}`); `npm run local` points
 * them at its dummy application. @default the stack's `/application-hook` on the existing API
 */
export const EMULATOR_ROUTES_ENV = "WEBHOOK_QUEUE_EMULATOR_ROUTES";
/**
 * Function timeout in seconds, and so the queue's visibility timeout: `npm run local` shortens
 * it so that a failed webhook reaches the DLQ in seconds instead of a minute. @default 60
 */
export const EMULATOR_FUNCTION_TIMEOUT_ENV = "WEBHOOK_QUEUE_EMULATOR_FUNCTION_TIMEOUT";

/** The same stack against a local moto_server: no archive provider, local state. */
export function emulator(env: NodeJS.ProcessEnv = process.env): WebhookQueueSettings {
  const routes = env[EMULATOR_ROUTES_ENV];
  const functionTimeout = env[EMULATOR_FUNCTION_TIMEOUT_ENV];
  return {
    ...mzDev,
    stackName: "emulator",
    defaultTags: { ...mzDev.defaultTags, Environment: "emulator" },
    backend: { kind: "local", path: env[EMULATOR_STATE_FILE_ENV] ?? "terraform.emulator.tfstate" },
    apigwName: "mz-dev-api",
    forwarder: { packaging: "zip", ...(routes !== undefined && { routes: parseJsonEnv(EMULATOR_ROUTES_ENV, routes) }) },
    // Not a number stays not a number, so that settings validation names it.
    ...(functionTimeout !== undefined && { functionTimeoutSeconds: Number(functionTimeout) }),
    emulator: { endpoint: env[EMULATOR_ENDPOINT_ENV] ?? "http://127.0.0.1:5000" },
  };
}

function parseJsonEnv(name: string, value: string): Record<string, Record<string, string>> {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`${name} = ${JSON.stringify(value)}: not JSON (${(error as Error).message})`);
  }
}
