import { Testing } from "cdktf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mzDev } from "../../src/infrastructure/environments";
import { WebhookQueueSettings } from "../../src/infrastructure/settings";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";

export interface Synthesized {
  /** Terraform JSON as cdktf writes it. */
  readonly text: string;
  readonly json: TerraformJson;
  readonly stack: WebhookQueueStack;
}

export interface TerraformJson {
  terraform: Record<string, any>;
  provider: Record<string, any[]>;
  variable: Record<string, any>;
  output: Record<string, any>;
  data: Record<string, Record<string, any>>;
  resource: Record<string, Record<string, any>>;
  moved?: { from: string; to: string }[];
}

/** One scratch folder per test file (jest gives each file its own module registry) for Testing.app()'s output. */
const scratch = mkdtempSync(join(tmpdir(), "webhook-queue-synth-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A cdktf test app writing under the scratch folder (Testing.app() alone leaves a temp folder per call). */
export function testApp() {
  return Testing.app({ outdir: mkdtempSync(join(scratch, "app-")) });
}

/** Synthesizes one stack (the article's environment unless overridden) the way `cdktf synth` does. */
export function synth(overrides: Partial<WebhookQueueSettings> = {}): Synthesized {
  const stack = new WebhookQueueStack(testApp(), { ...mzDev, ...overrides });
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text), stack };
}

/** Every `type.name` address (resources and `data.type.name`) in a synthesized stack. */
export function addresses(json: TerraformJson): string[] {
  const list: string[] = [];
  for (const [type, blocks] of Object.entries(json.resource ?? {})) for (const name of Object.keys(blocks)) list.push(`${type}.${name}`);
  for (const [type, blocks] of Object.entries(json.data ?? {})) for (const name of Object.keys(blocks)) list.push(`data.${type}.${name}`);
  return list.sort();
}
