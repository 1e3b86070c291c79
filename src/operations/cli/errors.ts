/**
 * The CLI's failures: a ToolError (exit 1) for something that went wrong while operating on
 * AWS, a UsageError (exit 2) for a command line the CLI cannot act on; SDK errors turned
 * into one line.
 */
import { ToolError, UsageError } from "../shared/command-line";

export { ToolError as CliError, UsageError };

const CREDENTIALS_HINT =
  "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); " +
  "against the emulator any value works, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing";

function errorName(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const { name, Code, code } = error as { name?: unknown; Code?: unknown; code?: unknown };
  return [name, Code, code].find((value): value is string => typeof value === "string") ?? "";
}

export function isQueueDoesNotExist(error: unknown): boolean {
  const name = errorName(error);
  return name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue";
}

/** Turns what the SDK throws into a one-line ToolError; ToolErrors pass through unchanged. */
export function explainError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(message)) {
    return new ToolError(CREDENTIALS_HINT);
  }
  if (/region is missing/i.test(message)) {
    return new UsageError("no AWS region: pass --region or set AWS_REGION");
  }
  if (name === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return new ToolError(`cannot connect to the AWS endpoint (${message}); check --endpoint-url`);
  }
  return new ToolError(name && !message.startsWith(name) ? `${name}: ${message}` : message);
}
