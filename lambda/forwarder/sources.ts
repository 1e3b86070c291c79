/** The sources table: for each webhook source, its targets and how its webhooks are verified. */
import { configPath, FORWARDER_ENV, GroupRule, groupMatches, SignatureConfig, SourceConfig, sourceProblems, SOURCES_SHAPE } from "./contract";

export interface Target {
  /** Name used in logs; the URL may carry credentials, so it is never logged. */
  readonly name: string;
  readonly url: URL;
  /** SSM parameter of the secret the request to this target is signed with. */
  readonly signingSecretParameter?: string;
  /** Sign the request with the function's role (SigV4): the target is a route with IAM authorization. */
  readonly awsIam?: boolean;
}

export interface Source {
  readonly name: string;
  /** The message groups its route writes: how a record's source is known. */
  readonly group: GroupRule;
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
  const sources = parsed as Record<string, SourceConfig & { signature?: SignatureConfig }>;
  return new Map(
    Object.entries(sources).map(([source, config]) => [
      source,
      {
        name: source,
        group: config.group,
        targets: Object.entries(config.targets).map(([target, { url, signingSecretParameter, awsIam }]) => ({
          name: target,
          url: new URL(url),
          ...(signingSecretParameter && { signingSecretParameter }),
          ...(awsIam && { awsIam }),
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
 * The source whose route wrote this message group: its static group, or its `<source>:` prefix.
 * Settings keep the sources' groups apart, so at most one matches.
 */
export function sourceOfGroup(groupId: string | undefined, sources: SourceTable): Source | undefined {
  if (groupId === undefined) return undefined;
  for (const source of sources.values()) if (groupMatches(source.group, groupId)) return source;
  return undefined;
}
