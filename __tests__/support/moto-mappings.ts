/**
 * A forwarder-like Lambda function and its SQS event source mapping in moto_server, as the
 * stack deploys them: what `status`, `pause` and `resume` find from the queue's ARN, and what
 * the local event source mapping follows. moto never runs the function (it would need Docker).
 */
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { EMULATOR_CREDENTIALS } from "../../src/operations/emulator/moto-server";

export interface MappedFunction {
  readonly functionName: string;
  readonly functionArn: string;
  /** The event source mapping's UUID. */
  readonly uuid: string;
}

export interface MappedFunctionOptions {
  /** @default true */
  readonly enabled?: boolean;
  /** @default 10 */
  readonly batchSize?: number;
}

/** Creates the role `<functionName>-role`, the function `functionName` and a mapping from `queueArn` to it. */
export async function createMappedFunction(
  moto: { readonly endpoint: string; readonly region: string },
  queueArn: string,
  functionName: string,
  options: MappedFunctionOptions = {},
): Promise<MappedFunction> {
  const config = { region: moto.region, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS };
  const iam = new IAMClient(config);
  const lambda = new LambdaClient(config);
  try {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: `${functionName}-role`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const fn = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Runtime: "nodejs22.x",
        Role: role.Role!.Arn!,
        Handler: "index.handler",
        Code: { ZipFile: Buffer.from("moto does not unpack code it cannot run") },
      }),
    );
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: functionName,
        EventSourceArn: queueArn,
        BatchSize: options.batchSize ?? 10,
        Enabled: options.enabled ?? true,
      }),
    );
    return { functionName, functionArn: fn.FunctionArn!, uuid: mapping.UUID! };
  } finally {
    iam.destroy();
    lambda.destroy();
  }
}

/** The mapping's State as moto reports it: Enabled or Disabled. */
export async function mappingState(moto: { readonly endpoint: string; readonly region: string }, uuid: string): Promise<string | undefined> {
  const lambda = new LambdaClient({ region: moto.region, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  try {
    return (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
  } finally {
    lambda.destroy();
  }
}
