/**
 * What both end-to-end tests share: a moto_server with the "existing" HTTP API in it, a
 * scratch folder of their own (never cdktf.out: other tests synthesize there), the
 * environment that points the emulator stack at both, and `npm run plan` as a child process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExistingHttpApi } from "../../src/operations/emulator/deploy";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../src/operations/emulator/moto-server";
import { EMULATOR_ENDPOINT_ENV, EMULATOR_STATE_FILE_ENV } from "../../src/infrastructure/environments";
import { run, RunResult } from "../../src/operations/shared/run";
import { PlanReview } from "../../src/operations/plan/review";
export { PROJECT_ROOT } from "../../src/project";

/** The article's region and the name the emulator stack looks the existing API up by. */
export const REGION = "ap-northeast-1";
export const EXISTING_API_NAME = "mz-dev-api";

export interface Emulator {
  readonly moto: MotoServer;
  readonly apiId: string;
  /** Scratch folder: cdktf output, state files. */
  readonly workDir: string;
  /** cdktf output directory inside workDir. */
  readonly outDir: string;
  /** The emulator stack's state file inside workDir (WEBHOOK_QUEUE_EMULATOR_STATE). */
  readonly stateFile: string;
  /** For cdktf and `npm run plan`: the emulator's endpoint and state file. */
  readonly env: NodeJS.ProcessEnv;
  /** For AWS SDK v3 clients. */
  readonly clientConfig: { endpoint: string; region: string; credentials: typeof EMULATOR_CREDENTIALS };
}

export async function startEmulator(name: string): Promise<Emulator> {
  const moto = await startMotoServer();
  try {
    const apiId = await createExistingHttpApi(moto.endpoint, EXISTING_API_NAME, REGION);
    const workDir = mkdtempSync(join(tmpdir(), `webhook-queue-${name}-`));
    const stateFile = join(workDir, "emulator.tfstate");
    return {
      moto,
      apiId,
      workDir,
      outDir: join(workDir, "cdktf.out"),
      stateFile,
      env: { [EMULATOR_ENDPOINT_ENV]: moto.endpoint, [EMULATOR_STATE_FILE_ENV]: stateFile },
      clientConfig: { endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

export async function stopEmulator(emulator: Emulator | undefined): Promise<void> {
  if (!emulator) return;
  await emulator.moto.stop();
  rmSync(emulator.workDir, { recursive: true, force: true });
}

/** `npm run plan -- <args>`, as a reviewer runs it. */
export function npmRunPlan(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return run("npm", ["run", "--silent", "plan", "--", ...args], { env: { ...process.env, ...env }, okCodes: [0, 1, 2, 3] });
}

/** The review `npm run plan -- ... --json` printed. */
export function parsePlanJson(result: RunResult): PlanReview & { exitCode: number; planFile: string; stackDir: string } {
  try {
    return JSON.parse(result.stdout) as PlanReview & { exitCode: number; planFile: string; stackDir: string };
  } catch {
    throw new Error(`npm run plan printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * An AWS query-protocol call (SNS, CloudWatch) straight to moto, which needs no valid
 * signature, only the service and region in the credential scope. The project has no
 * SDK clients for these two services, and they are only read here.
 */
export async function awsQuery(endpoint: string, service: "sns" | "monitoring", params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_CREDENTIALS.accessKeyId}/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${params.Action}: HTTP ${response.status}\n${text}`);
  return text;
}

export function secondsSince(startedAt: number): string {
  return ((performance.now() - startedAt) / 1000).toFixed(1);
}
