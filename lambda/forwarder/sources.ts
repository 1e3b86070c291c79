/** The sources table: for each webhook source, its targets and how its webhooks are verified. */
import type { SQSRecord } from "aws-lambda";
import { configPath, FORWARDER_ENV, MESSAGE_ATTRIBUTES, SignatureConfig, sourceProblems, SOURCES_SHAPE } from "./contract";

export interface Target {
  /** Name used in logs; the URL may carry credentials, so it is never logged. */
  readonly name: string;
  readonly url: URL;
  /** SSM parameter of the secret the request to this target is signed with. */
  readonly signingSecretParameter?: string;
}

export interface Source {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly signature?: SignatureConfig;
}

export type SourceTable = ReadonlyMap<string, Source>;

/**
 * Parses `SOURCES`. Throws on anything that could deliver nowhere or somewhere unintended: a
 * missing value, bad JSON, no sources, a source without targets, a URL that is not absolute
 * http(s) (the stack has resolved paths on the API by now), a signature it cannot check.
 */
export function parseSources(raw: string | undefined): SourceTable {
  const name = FORWARDER_ENV.sources;
  if (raw === undefined || raw.trim() === "") throw new Error(`${name} is not set; expected JSON ${SOURCES_SHAPE}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${name} is not valid JSON (${(error as Error).message}); expected ${SOURCES_SHAPE}`, { cause: error });
  }
  const [problem] = sourceProblems(parsed, { schemes: ["https:", "http:"], allowApiPaths: false });
  if (problem) throw new Error(`${name}${configPath(problem.path)} must be ${problem.allowed}; got ${JSON.stringify(problem.value)}`);
  const sources = parsed as Record<
    string,
    { targets: Record<string, { url: string; signingSecretParameter?: string }>; signature?: SignatureConfig }
  >;
  return new Map(
    Object.entries(sources).map(([source, config]) => [
      source,
      {
        name: source,
        targets: Object.entries(config.targets).map(([target, { url, signingSecretParameter }]) => ({
          name: target,
          url: new URL(url),
          ...(signingSecretParameter && { signingSecretParameter }),
        })),
        ...(config.signature && { signature: config.signature }),
      },
    ]),
  );
}

let parsed: { readonly raw: string | undefined; readonly table: SourceTable } | undefined;

/** parseSources, once per value: a warm function parses `SOURCES` on its first batch, not on every one. */
export function sourceTableOf(raw: string | undefined): SourceTable {
  if (parsed === undefined || parsed.raw !== raw) parsed = { raw, table: parseSources(raw) };
  return parsed.table;
}

/**
 * The name of a record's source: its source attribute, or, for a message queued before the
 * ingress wrote one (the article's single source), the default source.
 */
export function sourceNameOf(record: SQSRecord, defaultSource: string | undefined): string | undefined {
  return record.messageAttributes?.[MESSAGE_ATTRIBUTES.source]?.stringValue ?? defaultSource;
}
