/**
 * The deployed stack as `npm run local` runs it: Terraform references in the synthesized JSON
 * read as the deployed state's values (`${aws_sqs_queue.x.url}` as the URL moto gave the
 * queue), and the deployed functions' configuration and resource policy.
 */
import { GetFunctionConfigurationCommand, GetPolicyCommand, LambdaClient, ResourceNotFoundException } from "@aws-sdk/client-lambda";
import { DeployedValues } from "../shared/stack-files";
import { FunctionConfiguration } from "./lambda-sandbox";
import { evaluateTemplate } from "./terraform-expressions";

/**
 * A Terraform JSON string with each `${...}` evaluated against the deployed state: attribute
 * references as their deployed values, `jsonencode(...)` as Terraform computes it; `$${` stays a
 * literal `${`. Anything else (variables, other functions, indexes) is refused with the expression.
 */
export function resolveReferences(value: string, deployed: DeployedValues): string {
  return evaluateTemplate(value, (expression) => {
    const [data, ...rest] = expression.split(".");
    const [type, name, attribute] = data === "data" ? rest : [data, ...rest];
    const address = `${data === "data" ? "data." : ""}${type}.${name}`;
    const values = deployed.get(address);
    if (!values) throw new Error(`\${${expression}}: ${address} is not in the deployed state`);
    const attributeValue = values[attribute];
    if (typeof attributeValue !== "string" && typeof attributeValue !== "number" && typeof attributeValue !== "boolean") {
      throw new Error(`\${${expression}}: ${address} has no scalar attribute ${attribute}`);
    }
    return attributeValue;
  });
}

/** `aws_apigatewayv2_integration.webhook_event_producer` from `integrations/${aws_apigatewayv2_integration.webhook_event_producer.id}`. */
export function referencedAddress(value: string): string | undefined {
  const match = /\$\{\s*((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z0-9_]+\s*\}/.exec(value);
  return match?.[1];
}

export interface DeployedFunction {
  readonly config: FunctionConfiguration;
  /** The execution role, whose credentials the function runs with. */
  readonly roleArn: string;
  /** Base64 SHA-256 of the deployed package, as Lambda reports it. */
  readonly codeSha256: string;
}

/** A function's deployed configuration (handler, timeout, environment), to run `codeDirectory` with. */
export async function readDeployedFunction(lambda: LambdaClient, functionName: string, codeDirectory: string): Promise<DeployedFunction> {
  const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  return {
    codeSha256: fn.CodeSha256 ?? "",
    roleArn: fn.Role ?? "",
    config: {
      functionName: fn.FunctionName ?? functionName,
      functionArn: fn.FunctionArn ?? "",
      handler: fn.Handler ?? "",
      timeoutSeconds: fn.Timeout ?? 3,
      memorySizeMb: fn.MemorySize ?? 128,
      runtime: fn.Runtime ?? "nodejs22.x",
      environment: fn.Environment?.Variables ?? {},
      region: (fn.FunctionArn ?? "").split(":")[3] ?? "",
      codeDirectory,
    },
  };
}

/** A function's resource policy (who may invoke it), or undefined when it has none. */
export async function readFunctionPolicy(lambda: LambdaClient, functionName: string): Promise<string | undefined> {
  try {
    return (await lambda.send(new GetPolicyCommand({ FunctionName: functionName }))).Policy;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
