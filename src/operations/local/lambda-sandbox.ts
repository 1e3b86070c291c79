/**
 * One Lambda execution environment for the bundled forwarder: a worker thread whose
 * process.env is the function's environment (not ours), that loads the handler once
 * (init) and then serves one invocation at a time with a Lambda context, like a warm
 * container. An invocation that outlives the function timeout ends the sandbox, as
 * Lambda does; the next invocation starts a fresh one (a cold start).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";

export interface FunctionConfiguration {
  readonly functionName: string;
  readonly functionArn: string;
  /** e.g. `index.handler`: file `index.js` in the code directory, export `handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** e.g. nodejs22.x */
  readonly runtime: string;
  /** The function's own environment variables, as Lambda GetFunctionConfiguration reports them. */
  readonly environment: Readonly<Record<string, string>>;
  readonly region: string;
  /** Where the unpacked code lives (LAMBDA_TASK_ROOT). */
  readonly codeDirectory: string;
}

export type InvocationOutcome =
  | { readonly kind: "returned"; readonly result: unknown; readonly durationMs: number }
  | { readonly kind: "error"; readonly errorType: string; readonly errorMessage: string; readonly durationMs: number }
  | { readonly kind: "timeout"; readonly durationMs: number };

/** Lambda's limit for loading the handler module. */
const INIT_TIMEOUT_MS = 10_000;

/**
 * Runs inside the worker: loads the handler, then answers `invoke` messages. Supports
 * async handlers and callback-style handlers (three parameters).
 */
const SANDBOX_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { modulePath, exportName } = workerData;
const describe = (error) => ({
  errorType: (error && error.name) || "Error",
  errorMessage: error && error.message !== undefined ? String(error.message) : String(error),
});
let handler;
try {
  handler = require(modulePath)[exportName];
  if (typeof handler !== "function") throw Object.assign(new Error(exportName + " is undefined or not exported"), { name: "Runtime.HandlerNotFound" });
  parentPort.postMessage({ type: "ready" });
} catch (error) {
  parentPort.postMessage({ type: "init-error", ...describe(error) });
}
parentPort.on("message", async ({ id, event, context: info }) => {
  let settled = false;
  const settle = (message) => {
    if (settled) return;
    settled = true;
    parentPort.postMessage({ id, ...message });
  };
  const context = {
    ...info,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, info.deadline - Date.now()),
    done: (error, result) => (error ? settle({ type: "error", ...describe(error) }) : settle({ type: "returned", result })),
    fail: (error) => settle({ type: "error", ...describe(error) }),
    succeed: (result) => settle({ type: "returned", result }),
  };
  delete context.deadline;
  try {
    if (handler.length >= 3) {
      handler(event, context, (error, result) => (error ? settle({ type: "error", ...describe(error) }) : settle({ type: "returned", result })));
    } else {
      const result = await handler(event, context);
      settle({ type: "returned", result: result === undefined ? null : result });
    }
  } catch (error) {
    settle({ type: "error", ...describe(error) });
  }
});
`;

interface WorkerAnswer {
  readonly id?: number;
  readonly type: "ready" | "init-error" | "returned" | "error";
  readonly result?: unknown;
  readonly errorType?: string;
  readonly errorMessage?: string;
}

export interface LambdaSandboxOptions {
  /** Each line the function writes (its CloudWatch log). */
  readonly onLog?: (line: string) => void;
  /**
   * Where the function's AWS SDK calls go, and the credentials they carry (Lambda gives a
   * function its role's credentials in the same variables). @default - none: the SDK's defaults
   */
  readonly aws?: { readonly endpoint: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

export class LambdaSandbox {
  private worker?: Worker;
  private ready?: Promise<WorkerAnswer>;
  private answers = new Map<number, (answer: WorkerAnswer) => void>();
  private nextId = 1;
  private busy = false;
  private readonly logStreamName: string;

  constructor(
    private readonly config: FunctionConfiguration,
    private readonly options: LambdaSandboxOptions = {},
  ) {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
    this.logStreamName = `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
  }

  /** Invokes the handler with `event`; never rejects: errors and timeouts are outcomes. */
  async invoke(event: unknown): Promise<InvocationOutcome> {
    if (this.busy) throw new Error("a Lambda sandbox serves one invocation at a time");
    this.busy = true;
    const startedAt = Date.now();
    try {
      const init = await this.initialize();
      if (init.type === "init-error") {
        // Lambda retries the init in a fresh environment on the next invocation.
        await this.stop();
        return {
          kind: "error",
          errorType: init.errorType ?? "Runtime.ImportModuleError",
          errorMessage: init.errorMessage ?? "",
          durationMs: Date.now() - startedAt,
        };
      }
      return await this.run(event);
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.discard();
    await worker?.terminate();
  }

  private run(event: unknown): Promise<InvocationOutcome> {
    const worker = this.worker!;
    const id = this.nextId++;
    const startedAt = Date.now();
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const context = {
      functionName: this.config.functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: this.config.functionArn,
      memoryLimitInMB: String(this.config.memorySizeMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.config.functionName}`,
      logStreamName: this.logStreamName,
      deadline: startedAt + timeoutMs,
    };
    return new Promise((resolveOutcome) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        this.options.onLog?.(`Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds`);
        // Lambda ends the execution environment; the next invocation is a cold start.
        const stale = this.worker;
        this.discard();
        void stale?.terminate();
        resolveOutcome({ kind: "timeout", durationMs: Date.now() - startedAt });
      }, timeoutMs);
      this.answers.set(id, (answer) => {
        clearTimeout(timer);
        const durationMs = Date.now() - startedAt;
        if (answer.type === "returned") resolveOutcome({ kind: "returned", result: answer.result, durationMs });
        else resolveOutcome({ kind: "error", errorType: answer.errorType ?? "Error", errorMessage: answer.errorMessage ?? "", durationMs });
      });
      worker.postMessage({ id, event, context });
    });
  }

  private initialize(): Promise<WorkerAnswer> {
    if (this.ready) return this.ready;
    const [file, exportName] = splitHandler(this.config.handler);
    const worker = new Worker(SANDBOX_SOURCE, {
      eval: true,
      env: this.sandboxEnvironment(),
      workerData: { modulePath: join(this.config.codeDirectory, file), exportName },
      stdout: true,
      stderr: true,
    });
    this.worker = worker;
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        if (line.trim() !== "") this.options.onLog?.(line);
      });
    }
    this.ready = new Promise<WorkerAnswer>((resolveReady) => {
      const timer = setTimeout(
        () =>
          resolveReady({ type: "init-error", errorType: "Runtime.InitTimeout", errorMessage: `init did not finish within ${INIT_TIMEOUT_MS} ms` }),
        INIT_TIMEOUT_MS,
      );
      worker.on("message", (answer: WorkerAnswer) => {
        if (answer.type === "ready" || answer.type === "init-error") {
          clearTimeout(timer);
          resolveReady(answer);
        } else if (answer.id !== undefined) {
          const deliver = this.answers.get(answer.id);
          this.answers.delete(answer.id);
          deliver?.(answer);
        }
      });
      // A crash (uncaught error) or the end of the sandbox fails what is still running in it.
      const failPending = (errorMessage: string) => {
        clearTimeout(timer);
        resolveReady({ type: "init-error", errorType: "Runtime.ExitError", errorMessage });
        for (const [id, deliver] of this.answers) {
          this.answers.delete(id);
          deliver({ type: "error", errorType: "Runtime.ExitError", errorMessage });
        }
        if (this.worker === worker) this.discard();
      };
      worker.on("error", (error) => failPending(error.message));
      worker.on("exit", (code) => failPending(`the execution environment exited (code ${code})`));
    });
    return this.ready;
  }

  /** The function's variables plus the ones Lambda itself sets (which a function cannot override). */
  private sandboxEnvironment(): Record<string, string> {
    const { functionName, region, runtime, memorySizeMb, handler, codeDirectory } = this.config;
    const aws = this.options.aws;
    return {
      ...this.config.environment,
      ...(aws && { AWS_ENDPOINT_URL: aws.endpoint, AWS_ACCESS_KEY_ID: aws.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.secretAccessKey }),
      ...(aws?.sessionToken && { AWS_SESSION_TOKEN: aws.sessionToken }),
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySizeMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      LAMBDA_TASK_ROOT: codeDirectory,
      _HANDLER: handler,
      TZ: ":UTC",
      LANG: "en_US.UTF-8",
    };
  }

  private discard(): void {
    this.worker = undefined;
    this.ready = undefined;
  }
}

/** `index.handler` -> [`index.js`, `handler`]; `src/app.main` -> [`src/app.js`, `main`]. */
export function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) throw new Error(`handler ${JSON.stringify(handler)} is not <file>.<export>`);
  return [`${handler.slice(0, dot)}.js`, handler.slice(dot + 1)];
}

/**
 * Lambda's scaling for one function: each concurrent invocation gets an execution
 * environment of its own, and a free one is reused (warm) before a new one starts.
 */
export class SandboxPool {
  private readonly idle: LambdaSandbox[] = [];
  private readonly all: LambdaSandbox[] = [];

  constructor(
    readonly config: FunctionConfiguration,
    private readonly options: LambdaSandboxOptions = {},
  ) {}

  async invoke(event: unknown): Promise<InvocationOutcome> {
    const sandbox = this.idle.pop() ?? this.start();
    try {
      return await sandbox.invoke(event);
    } finally {
      this.idle.push(sandbox);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((sandbox) => sandbox.stop()));
  }

  private start(): LambdaSandbox {
    const sandbox = new LambdaSandbox(this.config, this.options);
    this.all.push(sandbox);
    return sandbox;
  }
}
