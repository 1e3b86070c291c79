/**
 * Deploys the `emulator` stack into a moto_server started by startMotoServer() (whose SQS
 * patches the provider needs), the way ops deploy the real one: the "existing" HTTP API is
 * created first (the stack looks it up by name), then `cdktf deploy emulator` runs with the
 * project's offline terraform setup.
 */
import { ApiGatewayV2Client, CreateApiCommand, GetApisCommand } from "@aws-sdk/client-apigatewayv2";
import { join } from "node:path";
import { EMULATOR_ENDPOINT_ENV, EMULATOR_STATE_FILE_ENV, emulator } from "../../infrastructure/environments";
import { resolveSettings } from "../../infrastructure/settings";
import { readStackOutputs, StackOutputs } from "../shared/stack-files";
import { cdktf } from "../terraform/terraform";
import { EMULATOR_CREDENTIALS } from "./moto-server";

/** Give up on a deploy that hangs; a normal one takes about 90 s (three SQS waits of ~25 s in a row). */
const DEPLOY_TIMEOUT_MS = 6 * 60_000;

export interface DeployOptions {
  /** moto_server, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** A folder of its own: cdktf's output, the state file and the deploy log go here. */
  readonly workDirectory: string;
  /** More environment for the synth, e.g. the emulator's routes or function timeout (src/infrastructure/environments.ts). */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each `<address>: Creation complete after Ns` line as it comes. */
  readonly onResourceCreated?: (address: string, after: string) => void;
  /** Aborting stops the deploy (terraform and its provider included). */
  readonly signal?: AbortSignal;
}

export interface EmulatorDeployment {
  /** The stack's synthesized Terraform JSON (`cdk.tf.json`) is in here. */
  readonly stackDirectory: string;
  readonly stateFile: string;
  readonly outputs: StackOutputs;
  /** ID of the "existing" HTTP API the stack's route was added to. */
  readonly apiId: string;
  readonly region: string;
  readonly seconds: number;
}

/** Creates the HTTP API the stack expects to exist (`var.apigw_name`), unless moto has it already. */
export async function createExistingHttpApi(endpoint: string, name: string, region: string): Promise<string> {
  const client = new ApiGatewayV2Client({ endpoint, region, credentials: EMULATOR_CREDENTIALS });
  try {
    const existing = (await client.send(new GetApisCommand({}))).Items?.find((api) => api.Name === name);
    if (existing?.ApiId) return existing.ApiId;
    const created = await client.send(new CreateApiCommand({ Name: name, ProtocolType: "HTTP" }));
    if (!created.ApiId) throw new Error(`CreateApi ${name} on ${endpoint} returned no ApiId`);
    return created.ApiId;
  } finally {
    client.destroy();
  }
}

/** `cdktf deploy emulator` into moto; resolves with the stack's outputs once terraform is done. */
export async function deployEmulatorStack(options: DeployOptions): Promise<EmulatorDeployment> {
  const startedAt = performance.now();
  const outdir = join(options.workDirectory, "cdktf.out");
  const stateFile = join(options.workDirectory, "terraform.tfstate");
  const env: NodeJS.ProcessEnv = { ...options.env, [EMULATOR_ENDPOINT_ENV]: options.endpoint, [EMULATOR_STATE_FILE_ENV]: stateFile };
  // Settings errors (a bad routes JSON, a timeout out of range) read better here than in cdktf's output.
  const settings = resolveSettings(emulator({ ...process.env, ...env }));
  const apiId = await createExistingHttpApi(options.endpoint, settings.apigwName ?? "", settings.region);

  await cdktf(["deploy", settings.stackName, "--auto-approve", "--skip-provider-lock", "--output", outdir], {
    env,
    logFile: join(options.workDirectory, "cdktf-deploy.log"),
    signal: options.signal,
    timeoutMs: DEPLOY_TIMEOUT_MS,
    onLine: (line) => {
      const created = /(\S+): Creation complete after (\S+)/.exec(line);
      if (created) options.onResourceCreated?.(created[1], created[2]);
    },
  });

  const stackDirectory = join(outdir, "stacks", settings.stackName);
  const outputs = await readStackOutputs(stackDirectory);
  return { stackDirectory, stateFile, outputs, apiId, region: settings.region, seconds: (performance.now() - startedAt) / 1000 };
}
