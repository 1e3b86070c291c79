/**
 * The one place that starts the AWS emulator (moto_server) on 127.0.0.1, for tests,
 * `npm run plan` rehearsals and `npm run local`.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

/** sitecustomize.py that makes moto's SQS attributes read like AWS's (see the file). */
const MOTO_PATCHES = join(__dirname, "moto-patches");

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Credentials moto accepts; real AWS credentials are never sent to the emulator. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/**
 * An environment for a child process that talks to the emulator only: this process's
 * variables without any AWS settings of its own (a profile, a region, real keys), plus the
 * emulator's credentials.
 */
export function emulatorClientEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
  return {
    ...env,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extra,
  };
}

export function motoServerAvailable(): boolean {
  return spawnSync("moto_server", ["--help"], { stdio: "ignore" }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${log()}`);
}

export interface MotoServerOptions {
  readonly port?: number;
  readonly timeoutMs?: number;
  /**
   * Load moto-patches/sitecustomize.py (default true). `false` runs moto as released, for
   * tests that show what a patch corrects.
   */
  readonly patches?: boolean;
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  if (!motoServerAvailable()) {
    throw new Error("moto_server is not on the PATH: install it with `pip install 'moto[server]'`.");
  }
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    env: {
      ...process.env,
      MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONPATH: [options.patches === false ? undefined : MOTO_PATCHES, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 20_000, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    endpoint,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
