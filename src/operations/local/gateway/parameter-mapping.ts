/** HTTP API parameter mapping: the values an integration's request parameters take from a request. */

/** The request data a parameter mapping may read. */
export interface MappedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; repeated headers keep every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly query: URLSearchParams;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly body: string;
  /** `$context.*` variables by name, e.g. requestId, routeKey, identity.sourceIp. */
  readonly context: Readonly<Record<string, string>>;
}

/**
 * Evaluates one HTTP API parameter mapping value: `$request.body`, `$request.body.<JSONPath>`,
 * `$request.header.<name>` (case-insensitive, repeated values joined by commas),
 * `$request.querystring.<name>` (case-sensitive, likewise), `$request.path.<name>`,
 * `$context.<variable>`, `$stageVariables.<name>`; anything else is a static value.
 * Undefined when the request has no such value.
 */
export function mapParameter(value: string, request: MappedRequest): string | undefined {
  if (value === "$request.body") return request.body;
  const [source, ...rest] = splitSource(value);
  const name = rest.join(".");
  switch (source) {
    case "$request.body":
      return jsonPath(request.body, name);
    case "$request.header": {
      const values = request.headers[name.toLowerCase()];
      return values && values.length > 0 ? values.join(",") : undefined;
    }
    case "$request.querystring":
      return request.query.has(name) ? request.query.getAll(name).join(",") : undefined;
    case "$request.path":
      return request.pathParameters[name];
    case "$context":
      return request.context[name];
    case "$stageVariables":
      return undefined; // the $default stage of the local gateway has no stage variables
    default:
      return value;
  }
}

function splitSource(value: string): string[] {
  if (value.startsWith("$request.body[")) return ["$request.body", value.slice("$request.body".length)];
  for (const source of ["$request.body", "$request.header", "$request.querystring", "$request.path", "$context", "$stageVariables"]) {
    if (value.startsWith(`${source}.`)) return [source, value.slice(source.length + 1)];
  }
  return [value];
}

/** `a.b[0]['c d']` over a JSON body; no recursive descent or filters (neither does API Gateway). */
function jsonPath(body: string, path: string): string | undefined {
  let current: unknown;
  try {
    current = JSON.parse(body);
  } catch {
    return undefined;
  }
  const steps = path.match(/[^.[\]'"]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\]/g) ?? [];
  for (const step of steps) {
    const key = step.startsWith("[") ? step.slice(1, -1).replace(/^['"]|['"]$/g, "") : step;
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (current === undefined) return undefined;
  return typeof current === "string" ? current : JSON.stringify(current);
}

/** The outcome of evaluating a request parameter: its value, or which expression had none. */
export type Evaluated = { readonly value: string } | { readonly missing: string };

/**
 * Evaluates a request parameter's value as API Gateway does:
 * - with `${...}` variables, a template (API Gateway's form for text around variables, or several
 *   of them): each variable is replaced by its value, and by nothing when the request has none
 *   (an assumption: AWS documents no behaviour for it; see docs/terraform.md, "Sources");
 * - a value that is one `$...` expression: its value, or missing when the request has none (the
 *   integration then fails: "Unable to resolve property ... from source ...");
 * - anything else: a static value.
 */
export function evaluateParameter(value: string, request: MappedRequest): Evaluated {
  if (value.includes("${")) {
    return { value: value.replace(/\$\{([^}]+)\}/g, (_, expression: string) => mapParameter(`$${expression}`, request) ?? "") };
  }
  if (!value.startsWith("$")) return { value };
  const mapped = mapParameter(value, request);
  return mapped === undefined ? { missing: value } : { value: mapped };
}
