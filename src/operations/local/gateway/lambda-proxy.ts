/**
 * API Gateway's AWS_PROXY integration with a Lambda function, payload format 2.0: the event
 * the function receives, the permission API Gateway needs to invoke it, and how its answer
 * becomes the HTTP response.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { InvocationOutcome } from "../lambda-sandbox";
import { GatewayAnswer, INTERNAL_SERVER_ERROR } from "./answers";

/** The request as the gateway received it, and what it knows about it. */
export interface ProxyRequest {
  readonly method: string;
  readonly rawPath: string;
  /** Without the `?`. */
  readonly rawQueryString: string;
  /** Lower-case names; repeated headers keep every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly domainName: string;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly timeEpoch: number;
  /** The caller API Gateway authorized, on a route with IAM authorization (`requestContext.authorizer.iam`). */
  readonly iam?: { readonly accessKey: string; readonly accountId: string; readonly callerId: string; readonly userArn: string };
}

/** Lambda's function ARN inside an integration URI (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`), or the ARN itself. */
export function functionArnOf(integrationUri: string): string {
  const match = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(integrationUri);
  return match ? match[1] : integrationUri;
}

/** Content types API Gateway passes as text; anything else is base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)/i;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The payload format 2.0 event: header names lower-cased, repeated values comma-joined, cookies apart. */
export function payloadV2Event(request: ProxyRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headers)) {
    if (name !== "cookie") headers[name] = values.join(",");
  }
  const cookies = (request.headers.cookie ?? []).flatMap((value) => value.split(/;\s*/)).filter((cookie) => cookie !== "");
  const query = new URLSearchParams(request.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(",");
  const text = request.body.length === 0 || TEXT_TYPES.test(headers["content-type"] ?? "");
  const [stage, domainPrefix] = ["$default", request.domainName.split(".")[0]];
  return {
    version: "2.0",
    routeKey: request.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 && { queryStringParameters }),
    ...(Object.keys(request.pathParameters).length > 0 && { pathParameters: { ...request.pathParameters } }),
    requestContext: {
      accountId: request.accountId,
      apiId: request.apiId,
      domainName: request.domainName,
      domainPrefix,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: request.requestId,
      routeKey: request.routeKey,
      ...(request.iam && { authorizer: { iam: request.iam } }),
      stage,
      time: requestTime(request.timeEpoch),
      timeEpoch: request.timeEpoch,
    },
    ...(request.body.length > 0 && { body: text ? request.body.toString("utf8") : request.body.toString("base64") }),
    isBase64Encoded: !text,
  };
}

/**
 * The HTTP response for a function's outcome. A returned object with a statusCode is the
 * response (headers, cookies, a body base64-decoded when isBase64Encoded); any other value
 * is a 200 JSON body; an error or a timeout is a 500.
 */
export function answerOf(outcome: InvocationOutcome): GatewayAnswer {
  if (outcome.kind !== "returned") return INTERNAL_SERVER_ERROR;
  const result = outcome.result;
  if (result === null || typeof result !== "object" || !("statusCode" in result)) {
    return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(result ?? null)) };
  }
  const response = result as { statusCode: unknown; headers?: Record<string, unknown>; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
  const status = Number(response.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return INTERNAL_SERVER_ERROR;
  const headers: Record<string, string | string[]> = { "content-type": "text/plain; charset=utf-8" };
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (Array.isArray(response.cookies) && response.cookies.length > 0) headers["set-cookie"] = response.cookies.map(String);
  const body = typeof response.body === "string" ? response.body : response.body === undefined ? "" : JSON.stringify(response.body);
  return { status, headers, body: Buffer.from(body, response.isBase64Encoded === true ? "base64" : "utf8") };
}

interface PolicyStatement {
  readonly Effect?: string;
  readonly Principal?: string | { readonly Service?: string | readonly string[] };
  readonly Action?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/**
 * Whether a function's resource policy (Lambda GetPolicy's document) lets API Gateway invoke
 * it for a request whose `execute-api` ARN is `sourceArn`: an Allow for apigateway.amazonaws.com
 * and lambda:InvokeFunction whose AWS:SourceArn condition, if any, matches.
 */
export function invocationAllowed(policy: string | undefined, sourceArn: string): boolean {
  if (!policy) return false;
  const statements = ([] as PolicyStatement[]).concat((JSON.parse(policy) as { Statement?: PolicyStatement | PolicyStatement[] }).Statement ?? []);
  return statements.some((statement) => {
    if (statement.Effect !== "Allow") return false;
    const principal = statement.Principal;
    const services = typeof principal === "string" ? [principal] : ([] as string[]).concat(principal?.Service ?? []);
    if (!services.some((service) => service === "*" || service === "apigateway.amazonaws.com")) return false;
    const actions = ([] as string[]).concat(statement.Action ?? []);
    if (!actions.some((action) => ["lambda:InvokeFunction", "lambda:*", "*"].includes(action))) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, conditions]) =>
      Object.entries(conditions).every(([key, expected]) => {
        if (key.toLowerCase() !== "aws:sourcearn") return true;
        const patterns = ([] as string[]).concat(expected);
        if (operator === "ArnLike" || operator === "StringLike") return patterns.some((pattern) => arnLike(pattern, sourceArn));
        if (operator === "ArnEquals" || operator === "StringEquals") return patterns.includes(sourceArn);
        return false;
      }),
    );
  });
}

/** IAM's ArnLike: each of the six colon-separated parts matched on its own, `*` and `?` as wildcards. */
export function arnLike(pattern: string, arn: string): boolean {
  const parts = (value: string) => {
    const split = value.split(":");
    return [...split.slice(0, 5), split.slice(5).join(":")];
  };
  const [expected, actual] = [parts(pattern), parts(arn)];
  return expected.every((part, index) => globToRegExp(part).test(actual[index] ?? ""));
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "s");
}
