/**
 * Where `npm run local`'s lines go. Every line to the log file, one JSON object a line: a
 * function's JSON log line as it wrote it, with `"from"` added in front; any other line as
 * `{"timestamp", "from", "message"}`. The terminal gets the lines meant for a person: the
 * progress, one line per webhook event (./webhook-events.ts), the smoke's steps; with
 * --verbose, every line too, as `[from] line`.
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { safeLines } from "../shared/terminal-safe";

export interface Log {
  /** A line for the operator: on the terminal, and in the log file. */
  (source: string, line: string): void;
  /** A line for the log file (and the terminal with --verbose): the functions' logs, each request, each batch. */
  detail(source: string, line: string): void;
}

/** The source of the webhook event lines: printed as they are (they start with the time), without a `[source]` tag. */
export const WEBHOOK_EVENTS = "webhook";

export interface RehearsalLog {
  readonly log: Log;
  /** The log file. */
  readonly file: string;
  close(): void;
}

export interface RehearsalLogOptions {
  /** Where the file goes (`.build/local`). */
  readonly directory: string;
  /** Print every line, not only the operator's. */
  readonly verbose: boolean;
  /** @default a line on stdout */
  readonly print?: (line: string) => void;
  /** @default new Date() */
  readonly now?: () => Date;
}

/** Opens `<directory>/rehearsal-<local date and time>.log` (a new file per rehearsal). */
export function openRehearsalLog(options: RehearsalLogOptions): RehearsalLog {
  const now = options.now ?? (() => new Date());
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  mkdirSync(options.directory, { recursive: true });
  const stamp = fileStamp(now());
  const base = join(options.directory, `rehearsal-${stamp}`);
  const file = existsSync(`${base}.log`) ? `${base}-${process.pid}.log` : `${base}.log`;
  // Written synchronously: a crash or process.exit loses no line.
  let fd: number | undefined = openSync(file, "a");
  const write = (source: string, line: string) => {
    if (fd !== undefined) writeSync(fd, `${fileLine(source, line, now())}\n`);
  };
  // Escaped for the terminal (the file keeps them as written): a webhook's body or headers reach the functions' logs.
  const tagged = (source: string, line: string) => safeLines(source === WEBHOOK_EVENTS ? line : `[${source}] ${line}`);
  const log: Log = Object.assign(
    (source: string, line: string) => {
      write(source, line);
      print(tagged(source, line));
    },
    {
      detail: (source: string, line: string) => {
        write(source, line);
        if (options.verbose) print(tagged(source, line));
      },
    },
  );
  return {
    log,
    file,
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** One line of the log file: a JSON object line with `"from"` added, or the text as `{"timestamp","from","message"}`. */
export function fileLine(source: string, line: string, at: Date): string {
  const from = `{"from":${JSON.stringify(source)}`;
  if (/^\{\s*"/.test(line) && line.trimEnd().endsWith("}")) {
    try {
      JSON.parse(line);
      return `${from},${line.slice(1)}`;
    } catch {
      // not JSON after all: kept as text
    }
  }
  return JSON.stringify({ timestamp: at.toISOString(), from: source, message: line });
}

/** `20261207-161058`, local time: the terminal's times. */
function fileStamp(at: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`;
}
