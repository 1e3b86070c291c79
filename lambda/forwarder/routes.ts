/**
 * The routing table: which targets receive the messages of each message group.
 * `ROUTES` is JSON `{ "<message group ID>": { "<target name>": "<absolute http(s) URL>" } }`.
 */

export interface Target {
  /** Name used in logs; the URL may carry credentials, so it is never logged. */
  readonly name: string;
  readonly url: URL;
}

export type RoutingTable = ReadonlyMap<string, readonly Target[]>;

const ROUTES_SHAPE = '{"<message group ID>": {"<target name>": "<absolute http(s) URL>"}}';

/**
 * Parses `ROUTES`. Throws on anything that could deliver nowhere or somewhere unintended:
 * a missing value, bad JSON, no groups, a group without targets, a URL that is not
 * absolute http(s).
 */
export function parseRoutes(raw: string | undefined): RoutingTable {
  if (raw === undefined || raw.trim() === "") {
    throw new Error(`ROUTES is not set; expected JSON ${ROUTES_SHAPE}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`ROUTES is not valid JSON (${(error as Error).message}); expected ${ROUTES_SHAPE}`);
  }
  if (!isPlainObject(parsed) || Object.keys(parsed).length === 0) {
    throw new Error(`ROUTES must map at least one message group ID to its targets; expected ${ROUTES_SHAPE}`);
  }
  const table = new Map<string, Target[]>();
  for (const [group, targets] of Object.entries(parsed)) {
    if (!isPlainObject(targets) || Object.keys(targets).length === 0) {
      throw new Error(`ROUTES[${JSON.stringify(group)}] must map at least one target name to a URL; got ${JSON.stringify(targets)}`);
    }
    table.set(
      group,
      Object.entries(targets).map(([name, url]) => ({ name, url: targetUrl(group, name, url) })),
    );
  }
  return table;
}

/** The targets of a message group, or undefined when the table has no such group. */
export function targetsFor(routes: RoutingTable, messageGroupId: string | undefined): readonly Target[] | undefined {
  return messageGroupId === undefined ? undefined : routes.get(messageGroupId);
}

function targetUrl(group: string, name: string, value: unknown): URL {
  const where = `ROUTES[${JSON.stringify(group)}][${JSON.stringify(name)}]`;
  if (typeof value !== "string" || !URL.canParse(value)) {
    throw new Error(`${where} must be an absolute http(s) URL; got ${JSON.stringify(value)}`);
  }
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`${where} must use https: or http:; got ${url.protocol}`);
  }
  return url;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
