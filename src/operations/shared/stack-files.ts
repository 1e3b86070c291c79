/**
 * A stack as the tools find it on disk: its folder under `cdktf.out/stacks`, the synthesized
 * `cdk.tf.json` (what the code says), and through terraform its outputs and its state (what
 * was deployed). The CLI, `npm run plan` and the local rehearsal all read stacks here.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { STACK_FILES } from "../../infrastructure/synthesis";
import { CDKTF_OUT_DIR } from "../../project";
import { terraformJson } from "../terraform/terraform";

/** Environment variable that overrides where a stack NAME is looked for (`<dir>/NAME`). */
export const STACKS_DIR_ENV = "WEBHOOK_QUEUE_STACKS_DIR";

/** A source as the stack's `webhook_sources` output describes it (no secret). */
export interface SourceOutput {
  readonly route_key: string;
  readonly url: string;
  /** The scheme's settings (scheme, header, encoding, prefix, tolerance); absent when unsigned. */
  readonly signature?: { readonly scheme: string } & Record<string, unknown>;
}

/** The outputs the webhook queue stack declares. */
export interface StackOutputs {
  readonly queue_url?: string;
  readonly queue_arn?: string;
  readonly dlq_url?: string;
  readonly dlq_arn?: string;
  /** Where the forwarder quarantines a webhook that fails verification; absent in a stack deployed before it existed. */
  readonly quarantine_url?: string;
  readonly quarantine_arn?: string;
  /** The DynamoDB table of held message groups; absent without retries inside the queue. */
  readonly held_groups_table?: string;
  readonly apigateway_endpoint?: string;
  readonly apigateway_id?: string;
  /** Absent in a stack deployed before sources existed. */
  readonly webhook_sources?: Readonly<Record<string, SourceOutput>>;
}

type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** The parts of a synthesized `cdk.tf.json` the tools read. */
export interface SynthesizedStack {
  readonly resource?: Blocks;
  readonly data?: Blocks;
  readonly provider?: { readonly aws?: readonly { readonly endpoints?: readonly Record<string, string>[] }[] };
}

/** `address -> attribute values` of every resource and data source in the state. */
export type DeployedValues = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

/** A stack's folder: `<stacksDir>/<stack>`, by default `cdktf.out/stacks/<stack>`. */
export function stackDirectory(stack: string, stacksDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(stacksDir ?? env[STACKS_DIR_ENV] ?? join(CDKTF_OUT_DIR, "stacks"), stack);
}

/** A stack folder holding both formats: Terraform would read both and declare everything twice. */
export class MixedStackFilesError extends Error {
  override readonly name = "MixedStackFilesError";
  constructor(readonly directory: string) {
    super(
      `${directory} holds both cdk.tf.json and cdk.tf (one left by another cdktf synth, with or without --hcl): Terraform would read both and declare every resource twice; synthesize again (npm run synth, or npm run synth -- --hcl), which keeps one`,
    );
  }
}

/** The stack's one Terraform file: `cdk.tf.json`, or `cdk.tf` from `cdktf synth --hcl`; undefined when there is none. */
export function stackFileOf(directory: string): string | undefined {
  const present = STACK_FILES.filter((file) => existsSync(join(directory, file)));
  if (present.length > 1) throw new MixedStackFilesError(directory);
  return present[0] === undefined ? undefined : join(directory, present[0]);
}

export function readSynthesizedStack(directory: string): SynthesizedStack {
  const file = join(directory, "cdk.tf.json");
  if (!existsSync(file)) {
    const hclOnly = existsSync(join(directory, "cdk.tf"));
    throw new Error(
      hclOnly
        ? `${file} does not exist, only its HCL form cdk.tf (cdktf synth --hcl), which the tools do not read: run npm run synth`
        : `${file} does not exist: synthesize the stack first (npm run synth)`,
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as SynthesizedStack;
}

/** The endpoint the stack's AWS provider sends its calls to, when it is pointed at an emulator. */
export function emulatorEndpointOf(stack: SynthesizedStack): string | undefined {
  return Object.values(stack.provider?.aws?.[0]?.endpoints?.[0] ?? {})[0];
}

/** Keeps the string-valued outputs of a `terraform output -json` document, and the sources. */
export function parseTerraformOutputs(document: Record<string, { value?: unknown }>): StackOutputs {
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(document)) {
    if (typeof output?.value === "string") outputs[name] = output.value;
  }
  const sources = document.webhook_sources?.value;
  if (typeof sources === "object" && sources !== null && !Array.isArray(sources)) outputs.webhook_sources = sources;
  return outputs as StackOutputs;
}

/** `terraform output -json` in the stack's folder. */
export async function readStackOutputs(directory: string, env?: NodeJS.ProcessEnv): Promise<StackOutputs> {
  return parseTerraformOutputs(await terraformJson<Record<string, { value?: unknown }>>(directory, ["output", "-json"], env));
}

interface StateModule {
  readonly resources?: readonly { readonly address: string; readonly values: Record<string, unknown> }[];
  readonly child_modules?: readonly StateModule[];
}

/** The resources of a `terraform show -json` document, by address. */
export function deployedValuesOf(document: { values?: { root_module?: StateModule } }): DeployedValues {
  const values = new Map<string, Record<string, unknown>>();
  const visit = (module: StateModule | undefined) => {
    for (const resource of module?.resources ?? []) values.set(resource.address, resource.values);
    for (const child of module?.child_modules ?? []) visit(child);
  };
  visit(document.values?.root_module);
  return values;
}

/** `terraform show -json` in the stack's folder. */
export async function readDeployedValues(directory: string, env?: NodeJS.ProcessEnv): Promise<DeployedValues> {
  return deployedValuesOf(await terraformJson(directory, ["show", "-json"], env));
}
