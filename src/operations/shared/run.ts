/**
 * The one way the operators' tools run another program (terraform, the cdktf CLI, the
 * webhook-queue CLI): in a process group of its own (a terminal's Ctrl-C reaches us, and we
 * decide), its output kept, copied to a log file or to us line by line as asked, stopped
 * with its whole process tree on abort or timeout.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../../project";

export interface RunOptions {
  /** @default the project root */
  readonly cwd?: string;
  /** The child's whole environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Exit codes that count as success. @default [0] */
  readonly okCodes?: readonly number[];
  /** Copy the child's stdout and stderr to this file as they come. */
  readonly logFile?: string;
  /** Copy the child's output to ours as it comes (long deploys). @default false */
  readonly echo?: boolean;
  /** Each line the child prints, ANSI colours removed. */
  readonly onLine?: (line: string) => void;
  /** Aborting stops the child and everything it started. */
  readonly signal?: AbortSignal;
  /** Stop it after this long. @default no limit */
  readonly timeoutMs?: number;
  /**
   * When stopped, it gets SIGINT (cdktf passes it on; terraform finishes what is in flight,
   * writes the state and releases the lock), then SIGKILL this long after; null: never.
   * @default 5000
   */
  readonly killAfterMs?: number | null;
  /**
   * Hand it our terminal (stdin, stdout, stderr) and our process group, as a shell would: for a
   * command the user runs through us. Its output is then not kept. @default false
   */
  readonly inherit?: boolean;
}

export interface RunResult {
  /** The command line, for messages. */
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly result: RunResult,
    readonly why: string = `exited with ${result.code}`,
  ) {
    super(`\`${result.command}\` ${why}:\n${tail(result.stderr || result.stdout)}`);
    this.name = "CommandError";
  }
}

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;]*[A-Za-z]/g;
const KILL_AFTER_MS = 5_000;
/** CommandError.why of a run stopped through its signal. */
export const STOPPED_ABORTED = "stopped: aborted";

function tail(text: string, lines = 60): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs `file args`; resolves with its output, rejects with a CommandError on a failing exit, a stop or a timeout. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = [file, ...args].join(" ");
  return new Promise((resolveRun, reject) => {
    if (options.signal?.aborted) return reject(new Error(`${command}: not started, aborted`));
    const child = spawn(file, [...args], {
      cwd: options.cwd ?? PROJECT_ROOT,
      env: options.env ?? process.env,
      detached: !options.inherit,
      stdio: options.inherit ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    const log = options.logFile ? createWriteStream(options.logFile) : undefined;
    const output = { stdout: "", stderr: "" };
    for (const [name, stream] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      if (!stream) continue;
      stream.on("data", (chunk: Buffer) => {
        output[name] += chunk.toString();
        if (options.echo) (name === "stdout" ? process.stdout : process.stderr).write(chunk);
      });
      if (log) stream.pipe(log, { end: false });
      if (options.onLine) createInterface({ input: stream }).on("line", (line) => options.onLine!(line.replace(ANSI_ESCAPES, "")));
    }

    let stoppedBecause: string | undefined;
    let tree: number[] = [];
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: string) => {
      if (stoppedBecause || child.pid === undefined || child.exitCode !== null) return;
      stoppedBecause = reason;
      tree = [child.pid, ...descendantsOf(child.pid)];
      signalAll(tree, "SIGINT");
      const killAfterMs = options.killAfterMs === undefined ? KILL_AFTER_MS : options.killAfterMs;
      if (killAfterMs !== null) killTimer = setTimeout(() => signalAll(tree, "SIGKILL"), killAfterMs);
    };
    const onAbort = () => stop(STOPPED_ABORTED);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop(`stopped: no end after ${options.timeoutMs! / 1000} s`), options.timeoutMs);

    child.once("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      log?.end();
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      // cdktf may exit before the terraform it started.
      if (stoppedBecause) signalAll(tree, options.killAfterMs === null ? "SIGINT" : "SIGKILL");
      log?.end();
      const result = { command, code: code ?? 128, ...output };
      if (stoppedBecause) return reject(new CommandError(result, stoppedBecause));
      if (signal) return reject(new CommandError(result, `killed by ${signal}`));
      if ((options.okCodes ?? [0]).includes(result.code)) return resolveRun(result);
      reject(new CommandError(result));
    });
  });
}

/**
 * Ctrl-C (or SIGTERM) while a tool's children run in their own process groups: the terminal's
 * signal reaches only us, and Node's default would exit and leave them running (a terraform
 * holding the state lock). Instead the first signal aborts `signal` (give it to run(): the
 * children get SIGINT and stop as they do); a second one exits at once with 130.
 */
export function abortOnInterrupt(name: string): { readonly signal: AbortSignal; readonly interrupted: () => boolean; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`${name}: stopping (terraform finishes what is in flight and releases the state lock); signal again to exit at once\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    interrupted: () => controller.signal.aborted,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
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
