/**
 * The stack as `npm run local` sees it: the synthesized Terraform JSON (what the code says)
 * and the deployed state (what terraform made of it), so that `${aws_sqs_queue.x.url}` in
 * the JSON can be read as the URL moto gave the queue.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { terraformJson } from "../emulator/deploy";

/** The parts of a synthesized `cdk.tf.json` the local gateway reads. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

/** `address -> attribute values` of every resource and data source in the state. */
export type DeployedValues = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

export function readSynthesizedStack(stackDirectory: string): SynthesizedStack {
  return JSON.parse(readFileSync(join(stackDirectory, "cdk.tf.json"), "utf8")) as SynthesizedStack;
}

interface StateModule {
  readonly resources?: readonly { readonly address: string; readonly values: Record<string, unknown> }[];
  readonly child_modules?: readonly StateModule[];
}

/** Parses `terraform show -json`. */
export function deployedValuesOf(showJson: string): DeployedValues {
  const document = JSON.parse(showJson) as { values?: { root_module?: StateModule } };
  const values = new Map<string, Record<string, unknown>>();
  const visit = (module: StateModule | undefined) => {
    for (const resource of module?.resources ?? []) values.set(resource.address, resource.values);
    for (const child of module?.child_modules ?? []) visit(child);
  };
  visit(document.values?.root_module);
  return values;
}

export async function readDeployedValues(stackDirectory: string): Promise<DeployedValues> {
  return deployedValuesOf(await terraformJson(stackDirectory, ["show", "-json"]));
}

/**
 * `${type.name.attribute}` or `${data.type.name.attribute}`, the only expressions resolved
 * here; a resource type always has its provider's prefix (`aws_`), unlike `var.` or `local.`.
 */
const REFERENCE = /^(data\.)?([a-z0-9]+_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)$/;

/**
 * Replaces each `${...}` of a Terraform JSON string with the deployed attribute it names;
 * `$${` stays a literal `${`. Anything but a plain attribute reference (functions,
 * variables, indexes) is refused with the expression in the message.
 */
export function resolveReferences(value: string, deployed: DeployedValues): string {
  let result = "";
  let rest = value;
  for (;;) {
    const start = rest.indexOf("${");
    if (start < 0) return result + rest;
    if (start > 0 && rest[start - 1] === "$") {
      result += rest.slice(0, start - 1) + "${";
      rest = rest.slice(start + 2);
      continue;
    }
    const end = rest.indexOf("}", start);
    if (end < 0) throw new Error(`unterminated \${ in ${JSON.stringify(value)}`);
    const expression = rest.slice(start + 2, end).trim();
    result += rest.slice(0, start) + attributeOf(expression, deployed, value);
    rest = rest.slice(end + 1);
  }
}

function attributeOf(expression: string, deployed: DeployedValues, whole: string): string {
  const match = REFERENCE.exec(expression);
  if (!match) throw new Error(`cannot resolve \${${expression}} in ${JSON.stringify(whole)}: only resource attribute references are supported`);
  const [, data, type, name, attribute] = match;
  const address = `${data ?? ""}${type}.${name}`;
  const values = deployed.get(address);
  if (!values) throw new Error(`\${${expression}}: ${address} is not in the deployed state`);
  const attributeValue = values[attribute];
  if (typeof attributeValue !== "string" && typeof attributeValue !== "number" && typeof attributeValue !== "boolean") {
    throw new Error(`\${${expression}}: ${address} has no scalar attribute ${attribute}`);
  }
  return String(attributeValue);
}

/** `aws_apigatewayv2_integration.webhook_event_producer` from `integrations/${aws_apigatewayv2_integration.webhook_event_producer.id}`. */
export function referencedAddress(value: string): string | undefined {
  const match = /\$\{\s*((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z0-9_]+\s*\}/.exec(value);
  return match?.[1];
}
