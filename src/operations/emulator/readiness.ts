/**
 * Whether the `emulator` stack can be planned against the emulator its provider points at: a
 * moto_server answers there, and holds the "existing" HTTP API the stack looks up by name. When not,
 * one line that says what is missing and the command that gives it (`npm run emulator`), instead of
 * a 500-line plan that ends in an `api_id` error.
 */
import { ApiGatewayV2Client, GetApisCommand } from "@aws-sdk/client-apigatewayv2";
import { EMULATOR_ENDPOINT_ENV } from "../../infrastructure/environments";
import { EMULATOR_CREDENTIALS } from "./moto-server";

/** What starts an emulator the stack can be planned and deployed against. */
const START_EMULATOR = "npm run emulator";

export interface EmulatorTarget {
  /** Where the stack's AWS provider points, e.g. http://127.0.0.1:5000. */
  readonly endpoint: string;
  readonly region: string;
  /** The HTTP API the stack adds its routes to (`var.apigw_name`); undefined: not checked (a var file may name another). */
  readonly apigwName?: string;
}

/** Whether anything answers HTTP at `endpoint` within `timeoutMs`. */
export async function answers(endpoint: string, timeoutMs = 3000): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** Why the stack cannot be planned against `target`, in one line with the command to run; undefined when it can. */
export async function emulatorNotReady(target: EmulatorTarget): Promise<string | undefined> {
  const { endpoint, region, apigwName } = target;
  if (!(await answers(endpoint))) {
    return (
      `Nothing answers at ${endpoint}, where the emulator stack's AWS provider points (${EMULATOR_ENDPOINT_ENV}): ` +
      `start the emulator in another terminal with \`${START_EMULATOR}\` (moto_server with the project's patches, and the HTTP API the stack looks up), ` +
      "or rehearse the whole pipeline with `npm run local`."
    );
  }
  if (apigwName === undefined) return undefined;
  const client = new ApiGatewayV2Client({ endpoint, region, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
  try {
    const apis = (await client.send(new GetApisCommand({}))).Items ?? [];
    if (apis.some((api) => api.Name === apigwName)) return undefined;
    return (
      `The emulator at ${endpoint} has no HTTP API named "${apigwName}" (var.apigw_name), which the stack adds its routes to: ` +
      `\`${START_EMULATOR}\` creates it (in the moto_server already running there, too).`
    );
  } catch (error) {
    return `${endpoint} answers, but not as moto_server does (API Gateway GetApis: ${(error as Error).message}): start the emulator with \`${START_EMULATOR}\`.`;
  } finally {
    client.destroy();
  }
}
