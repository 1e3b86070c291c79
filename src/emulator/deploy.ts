/**
 * Deploys the `emulator` stack into a moto_server started by startMotoServer() (whose SQS
 * patches the provider needs), the way ops deploy the real one: the "existing" HTTP API is
 * created first (the stack looks it up by name), then `cdktf deploy emulator` runs with the
 * project's offline terraform setup.
 */
import { ApiGatewayV2Client, CreateApiCommand, GetApisCommand } from "@aws-sdk/client-apigatewayv2";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseTerraformOutputs, StackOutputs } from "../cli/stack-outputs";
import { EMULATOR_ENDPOINT_ENV, EMULATOR_STATE_FILE_ENV, emulator } from "../environments";
import { resolveSettings } from "../settings";
import { terraformEnv } from "../terraform/cli-config";
import { terraform } from "../terraform/commands";
import { EMULATOR_CREDENTIALS } from "./moto-server";

const PROJECT_ROOT = resolve(__dirname, "..", "..");
const CDKTF = join(PROJECT_ROOT, "node_modules", ".bin", "cdktf");
/** Give up on a deploy that hangs; a normal one takes about 90 s (three SQS waits of ~25 s in a row). */
const DEPLOY_TIMEOUT_MS = 6 * 60_000;
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;

export interface DeployOptions {
  /** moto_server, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** A folder of its own: cdktf's output, the state file and the deploy log go here. */
  readonly workDirectory: string;
  /** More environment for the synth, e.g. the emulator's routes or function timeout (src/environments.ts). */
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
  const env: NodeJS.ProcessEnv = {
    ...terraformEnv(),
    ...options.env,
    [EMULATOR_ENDPOINT_ENV]: options.endpoint,
    [EMULATOR_STATE_FILE_ENV]: stateFile,
    CHECKPOINT_DISABLE: "1",
    CI: "1",
  };
  // Settings errors (a bad routes JSON, a timeout out of range) read better here than in cdktf's output.
  const settings = resolveSettings(emulator(env));
  const apiId = await createExistingHttpApi(options.endpoint, settings.apigwName ?? "", settings.region);

  const log = join(options.workDirectory, "cdktf-deploy.log");
  await runLogged(CDKTF, ["deploy", settings.stackName, "--auto-approve", "--skip-provider-lock", "--output", outdir], {
    env,
    log,
    signal: options.signal,
    onLine: (line) => {
      const created = /(\S+): Creation complete after (\S+)/.exec(line.replace(ANSI_ESCAPES, ""));
      if (created) options.onResourceCreated?.(created[1], created[2]);
    },
  });

  const stackDirectory = join(outdir, "stacks", settings.stackName);
  const outputs = parseTerraformOutputs(await terraformJson(stackDirectory, ["output", "-json"]));
  return { stackDirectory, stateFile, outputs, apiId, region: settings.region, seconds: (performance.now() - startedAt) / 1000 };
}

/** `terraform <args>` (which print JSON) in a deployed stack's directory. */
export async function terraformJson(stackDirectory: string, args: readonly string[]): Promise<string> {
  return (await terraform(args, { cwd: stackDirectory })).stdout;
}

interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly log: string;
  readonly signal?: AbortSignal;
  readonly onLine: (line: string) => void;
}

/**
 * Runs a command (in a process group of its own, away from the terminal's Ctrl-C), its
 * output into `log`. On abort or timeout the whole process tree is stopped: cdktf starts
 * terraform in yet another process group, so the group alone is not enough.
 */
function runLogged(command: string, args: readonly string[], options: RunOptions): Promise<void> {
  return new Promise((resolveRun, reject) => {
    if (options.signal?.aborted) return reject(new Error(`${command} not started: aborted`));
    const child = spawn(command, [...args], { cwd: PROJECT_ROOT, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(options.log);
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(log, { end: false });
      createInterface({ input: stream }).on("line", (line) => {
        tail.push(line.replace(ANSI_ESCAPES, ""));
        if (tail.length > 25) tail.shift();
        options.onLine(line);
      });
    }
    let stoppedBecause: string | undefined;
    let tree: number[] = [];
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: string) => {
      if (stoppedBecause || child.pid === undefined || child.exitCode !== null) return;
      stoppedBecause = reason;
      tree = [child.pid, ...descendantsOf(child.pid)];
      // SIGINT first: cdktf passes it on and terraform stops its provider.
      signalAll(tree, "SIGINT");
      killTimer = setTimeout(() => signalAll(tree, "SIGKILL"), 5000);
    };
    const onAbort = () => stop("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop(`timed out after ${DEPLOY_TIMEOUT_MS / 1000} s`), DEPLOY_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      // cdktf may exit before the terraform it started.
      if (stoppedBecause) signalAll(tree, "SIGKILL");
      log.end();
      if (code === 0 && !stoppedBecause) return resolveRun();
      const how = stoppedBecause ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(`${[command, ...args].join(" ")}: ${how} (log: ${options.log})\n${tail.join("\n")}`));
    });
  });
}

/** Every process below `pid`, from `ps`. */
function descendantsOf(pid: number): number[] {
  const table = spawnSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).stdout ?? "";
  const children = new Map<number, number[]>();
  for (const row of table.trim().split("\n")) {
    const [child, parent] = row.trim().split(/\s+/).map(Number);
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
