/**
 * What a running `npm run local` tells the other tools: where its parts listen, its stack's outputs
 * as it serves them, and its pid. Written to `<local folder>/endpoints.json` once the rehearsal is
 * ready and removed when it stops; `webhook-queue --stack emulator` reads it when the stack has no
 * deployed outputs of its own (the rehearsal's state lives in a temporary folder).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BUILD_DIR } from "../../project";
import { isLoopbackUrl } from "./loopback";
import { StackOutputs } from "./stack-files";

/** Where `npm run local` writes endpoints.json and its logs. @default <project>/.build/local */
export const LOCAL_DIR_ENV = "WEBHOOK_QUEUE_LOCAL_DIR";

export function localDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env[LOCAL_DIR_ENV] || join(BUILD_DIR, "local"));
}

export function endpointsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(localDirectory(env), "endpoints.json");
}

/** Where the rehearsal's parts listen, and what the CLI needs of it: `.build/local/endpoints.json`. */
export interface RehearsalEndpoints {
  /** The rehearsal's process: the file counts only while it runs. */
  readonly pid: number;
  /** The stack it deployed (`emulator`). */
  readonly stack: string;
  readonly gateway: string;
  /** moto_server, where the stack lives. */
  readonly moto: string;
  readonly region: string;
  /** The dummy application's webhook on the gateway. */
  readonly application: string;
  /** The release switch: POST `{"inProgress": true}` to `<control>/release`. */
  readonly control: string;
  /** Each source's webhook URL. */
  readonly webhooks: Readonly<Record<string, string>>;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** The stack's terraform outputs as the rehearsal serves them: the API endpoint and each source's URL on the local gateway. */
  readonly outputs: StackOutputs;
  /** The folder of the stack it deployed (its cdk.tf.json). */
  readonly stackDirectory: string;
  /** The rehearsal's whole log (JSON lines). */
  readonly logFile: string;
}

/** Whether a process with this pid runs (one of another user's counts). */
function processRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running rehearsal's endpoints; undefined without the file, or when its process is gone (a rehearsal killed with SIGKILL leaves it). */
export function readRunningRehearsal(env: NodeJS.ProcessEnv = process.env): RehearsalEndpoints | undefined {
  const file = endpointsFile(env);
  if (!existsSync(file)) return undefined;
  let endpoints: Partial<RehearsalEndpoints>;
  try {
    endpoints = JSON.parse(readFileSync(file, "utf8")) as Partial<RehearsalEndpoints>;
  } catch {
    return undefined;
  }
  const complete =
    typeof endpoints.pid === "number" && typeof endpoints.stack === "string" && typeof endpoints.outputs === "object" && endpoints.outputs !== null;
  // The CLI sends its calls, and `send` signed webhooks, where this file says: only ever to this machine.
  return complete && onThisMachine(endpoints as RehearsalEndpoints) && processRuns(endpoints.pid!) ? (endpoints as RehearsalEndpoints) : undefined;
}

/**
 * Every address in the file is a rehearsal's on this machine: moto_server, and any HTTP(S) URL
 * anywhere in it (the queues' URLs, where the SDK sends SQS calls; the API endpoint and the sources'
 * URLs, where `send` posts).
 */
function onThisMachine(endpoints: RehearsalEndpoints): boolean {
  const urls: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string" && /^https?:/i.test(value)) urls.push(value);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
  };
  collect(endpoints);
  return isLoopbackUrl(endpoints.moto) && urls.every((url) => isLoopbackUrl(url, { path: true }));
}
