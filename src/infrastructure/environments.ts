/**
 * The environments `main.ts` synthesizes, one stack each. Ops teams edit this file:
 * the S3 backend here must point at the state the article's Terraform already uses.
 */
import { readFileSync } from "node:fs";
import { WebhookQueueSettings } from "./settings";

/** The article's environment: prefix `mz-dev` in Tokyo, state in the team's S3 bucket. */
export const mzDev: WebhookQueueSettings = {
  stackName: "mz-dev",
  prefix: "mz-dev",
  region: "ap-northeast-1",
  // The article's repository's default tags: adopting its state changes no tag.
  defaultTags: { Owner: "mamezou", Environment: "mz-dev-site", SystemName: "Mamezou Developer Site Example System" },
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
 * A JSON file of settings merged over the emulator environment's (sources, timeouts, ...):
 * objects merge key by key, anything else replaces. `npm run local` writes one for its short
 * timeouts and merges the user's over it.
 */
export const EMULATOR_SETTINGS_ENV = "WEBHOOK_QUEUE_EMULATOR_SETTINGS";

/**
 * The same stack against a local moto_server: no archive provider, local state, the same
 * tags (so that planning it against an article-era state shows what mz-dev would change).
 */
export function emulator(env: NodeJS.ProcessEnv = process.env): WebhookQueueSettings {
  const base: WebhookQueueSettings = {
    ...mzDev,
    stackName: "emulator",
    backend: { kind: "local", path: env[EMULATOR_STATE_FILE_ENV] ?? "terraform.emulator.tfstate" },
    apigwName: "mz-dev-api",
    packaging: "zip",
    // The provider build the offline build machine holds, on which the emulator is verified.
    awsProvider: "5.100",
    // The emulator is torn down on purpose (cdktf destroy in the tests and after a rehearsal).
    preventQueueDestroy: false,
    // The rehearsal prints what the application receives.
    application: { logLevel: "DEBUG" },
    emulator: { endpoint: env[EMULATOR_ENDPOINT_ENV] ?? "http://127.0.0.1:5000" },
  };
  const overlayFile = env[EMULATOR_SETTINGS_ENV];
  return overlayFile ? mergeSettings(base, readOverlay(overlayFile)) : base;
}

/** The overlay file's settings; errors name the variable and the file. */
export function readOverlay(file: string): Partial<WebhookQueueSettings> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${EMULATOR_SETTINGS_ENV}=${file}: cannot read it (${(error as Error).message})`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${EMULATOR_SETTINGS_ENV}=${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${EMULATOR_SETTINGS_ENV}=${file}: not a JSON object of settings`);
  return parsed as Partial<WebhookQueueSettings>;
}

/** `overlay` over `base`: objects merge key by key, anything else (arrays, values) replaces. */
export function mergeSettings<T extends object>(base: T, overlay: Partial<T>): T {
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? mergeSettings(current, value) : value;
  }
  return merged as T;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
