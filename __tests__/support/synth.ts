import { Testing } from "cdktf";
import { mzDev } from "../../src/environments";
import { WebhookQueueSettings } from "../../src/settings";
import { WebhookQueueStack } from "../../src/webhook-queue-stack";

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
}

/** Synthesizes one stack (the article's environment unless overridden) the way `cdktf synth` does. */
export function synth(overrides: Partial<WebhookQueueSettings> = {}): Synthesized {
  const stack = new WebhookQueueStack(Testing.app(), { ...mzDev, ...overrides });
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
