/**
 * Command-line parsing shared by every command: the global options, turning
 * node:util parseArgs failures into usage errors, and number validation.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors";

/** Environment variable that overrides where `--stack NAME` looks for `NAME/`. */
export const STACKS_DIR_ENV = "WEBHOOK_QUEUE_STACKS_DIR";

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  region: { type: "string" },
  "endpoint-url": { type: "string" },
  "queue-url": { type: "string" },
  "dlq-url": { type: "string" },
  stack: { type: "string" },
  "stacks-dir": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const GLOBAL_HELP = `Global options (accepted by every command):
  --region REGION        AWS region (default: AWS_REGION, the profile, or the queue URL's region)
  --endpoint-url URL     send AWS calls to this endpoint, e.g. the emulator http://127.0.0.1:5000
  --queue-url URL        the main FIFO queue
  --dlq-url URL          the FIFO dead-letter queue (default: the main queue's RedrivePolicy target)
  --stack NAME           read queue_url, dlq_url, apigateway_endpoint from the stack's terraform outputs
                         (explicit --queue-url/--dlq-url win)
  --stacks-dir DIR       where stack NAME lives as DIR/NAME (default: $${STACKS_DIR_ENV} or
                         <project>/cdktf.out/stacks)
  --json                 print one JSON document on stdout (progress stays on stderr)
  -h, --help             show help`;

export interface GlobalOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly stack?: string;
  readonly stacksDir?: string;
  readonly json: boolean;
  readonly help: boolean;
}

type GlobalValues = { [K in keyof typeof GLOBAL_OPTIONS]?: (typeof GLOBAL_OPTIONS)[K]["type"] extends "string" ? string : boolean };

export function readGlobalOptions(values: GlobalValues): GlobalOptions {
  return {
    region: values.region,
    endpointUrl: values["endpoint-url"],
    queueUrl: values["queue-url"],
    dlqUrl: values["dlq-url"],
    stack: values.stack,
    stacksDir: values["stacks-dir"],
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

/** Runs a parseArgs call and reports a bad command line as a UsageError. */
export function parseOrUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (code.startsWith("ERR_PARSE_ARGS")) throw new UsageError((error as Error).message);
    throw error;
  }
}

/**
 * Splits `[global options] <command> [options]`: the command is the first word that is
 * not a global option or its value; everything else is handed to the command's parser.
 */
export function splitCommand(args: readonly string[]): { command?: string; rest: string[] } {
  const { tokens } = parseArgs({ args: [...args], options: GLOBAL_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((token) => token.kind === "positional" || token.kind === "option-terminator");
  if (!first || first.kind !== "positional") return { rest: [...args] };
  return { command: first.value, rest: [...args.slice(0, first.index), ...args.slice(first.index + 1)] };
}

/** An integer option within [min, max]; `undefined` gives `fallback`. */
export function integerOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} ${value} is not allowed: give a whole number from ${min} to ${max}`);
  }
  return parsed;
}
