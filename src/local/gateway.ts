/**
 * A local stand-in for the existing HTTP API: it serves the routes the stack adds to it,
 * read from the synthesized JSON, and for an SQS-SendMessage integration maps the request
 * onto SendMessage parameters the way API Gateway does, then answers like API Gateway.
 * moto keeps API Gateway v2 objects but does not serve them over HTTP.
 */
import { SendMessageCommand, SendMessageCommandInput, SQSClient, SQSServiceException } from "@aws-sdk/client-sqs";
import { randomBytes } from "node:crypto";
import { IncomingMessage } from "node:http";
import { DeployedValues, referencedAddress, resolveReferences, SynthesizedStack } from "./deployed-stack";
import { serveJson } from "./http-server";

export interface GatewayRoute {
  /** e.g. "POST /sqs-hook", or "$default" */
  readonly routeKey: string;
  /** e.g. aws_apigatewayv2_integration.webhook_event_producer */
  readonly integrationAddress: string;
  readonly integrationType: string;
  readonly integrationSubtype?: string;
  /** Terraform references resolved; `$request...` / `$context...` mappings left for each request. */
  readonly requestParameters: Readonly<Record<string, string>>;
}

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

/** What API Gateway answers the caller. */
export interface GatewayAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The SendMessage parameters the SQS-SendMessage subtype accepts (API Gateway's integration subtype reference). */
const SQS_SEND_MESSAGE_PARAMETERS = new Set([
  "QueueUrl",
  "MessageBody",
  "DelaySeconds",
  "MessageAttributes",
  "MessageDeduplicationId",
  "MessageGroupId",
  "MessageSystemAttributes",
  "Region",
]);

const NOT_FOUND: GatewayAnswer = { status: 404, body: { message: "Not Found" } };
const INTERNAL_SERVER_ERROR: GatewayAnswer = { status: 500, body: { message: "Internal Server Error" } };
const BAD_REQUEST: GatewayAnswer = { status: 400, body: { message: "Bad Request" } };

/** Every `aws_apigatewayv2_route` of the synthesized stack with its integration, references resolved against the state. */
export function gatewayRoutes(stack: SynthesizedStack, deployed: DeployedValues): GatewayRoute[] {
  const routes = Object.entries(stack.resource?.aws_apigatewayv2_route ?? {});
  return routes.map(([name, route]) => {
    const routeKey = String(route.route_key);
    const target = String(route.target ?? "");
    const integrationAddress = referencedAddress(target);
    const integrationName = integrationAddress?.split(".")[1];
    const integration = integrationName ? stack.resource?.aws_apigatewayv2_integration?.[integrationName] : undefined;
    if (!integrationAddress || !integration) {
      throw new Error(`aws_apigatewayv2_route.${name} (${routeKey}): target ${JSON.stringify(target)} names no integration of this stack`);
    }
    const parameters = (integration.request_parameters ?? {}) as Record<string, string>;
    const gatewayRoute: GatewayRoute = {
      routeKey,
      integrationAddress,
      integrationType: String(integration.integration_type),
      integrationSubtype: integration.integration_subtype === undefined ? undefined : String(integration.integration_subtype),
      requestParameters: Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, resolveReferences(String(value), deployed)])),
    };
    if (gatewayRoute.integrationSubtype === "SQS-SendMessage") {
      const unknown = Object.keys(gatewayRoute.requestParameters).filter((key) => !SQS_SEND_MESSAGE_PARAMETERS.has(key));
      if (unknown.length > 0) throw new Error(`${integrationAddress}: SQS-SendMessage has no parameter ${unknown.join(", ")}`);
    }
    return gatewayRoute;
  });
}

interface ParsedRouteKey {
  readonly method: string;
  readonly segments: readonly string[];
}

function parseRouteKey(routeKey: string): ParsedRouteKey | undefined {
  if (routeKey === "$default") return undefined;
  const [method, path] = routeKey.split(" ");
  return { method, segments: path.split("/").slice(1) };
}

/**
 * The route API Gateway picks for a request: exact paths before path variables, variables
 * before a greedy `{proxy+}`, a method before ANY, and `$default` last.
 */
export function matchRoute<R extends { readonly routeKey: string }>(
  routes: readonly R[],
  method: string,
  path: string,
): { route: R; pathParameters: Record<string, string> } | undefined {
  const requestSegments = path.split("/").slice(1);
  let best: { route: R; pathParameters: Record<string, string>; rank: number[] } | undefined;
  for (const route of routes) {
    const key = parseRouteKey(route.routeKey);
    if (!key) continue;
    if (key.method !== "ANY" && key.method !== method) continue;
    const pathParameters: Record<string, string> = {};
    let variables = 0;
    let greedy = 0;
    let matched = true;
    for (let i = 0; i < key.segments.length && matched; i++) {
      const segment = key.segments[i];
      const variable = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (variable?.[2] === "+") {
        const rest = requestSegments.slice(i).join("/");
        matched = i === key.segments.length - 1 && rest !== "";
        pathParameters[variable[1]] = decodeURIComponent(rest);
        greedy = 1;
        break;
      }
      if (i >= requestSegments.length) matched = false;
      else if (variable) {
        if (requestSegments[i] === "") matched = false;
        pathParameters[variable[1]] = decodeURIComponent(requestSegments[i]);
        variables++;
      } else if (segment !== requestSegments[i]) matched = false;
    }
    if (greedy === 0 && key.segments.length !== requestSegments.length) matched = false;
    if (!matched) continue;
    const rank = [greedy, variables, key.method === "ANY" ? 1 : 0];
    if (!best || compareRanks(rank, best.rank) < 0) best = { route, pathParameters, rank };
  }
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  const fallback = routes.find((route) => route.routeKey === "$default");
  return fallback && { route: fallback, pathParameters: {} };
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
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
  for (const source of ["$request.body", "$request.header", "$request.querystring", "$request.path"]) {
    if (value.startsWith(`${source}.`)) return [source, value.slice(source.length + 1)];
  }
  for (const source of ["$context", "$stageVariables"]) {
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

/**
 * SendMessage with the mapped parameters; the answer API Gateway gives: 200 and SQS's
 * SendMessageResponse document, SQS's own status and error document when SQS refuses,
 * 500 when SQS cannot be reached at all.
 */
export async function sendMessageAsIntegration(sqs: SQSClient, parameters: Readonly<Record<string, string | undefined>>): Promise<GatewayAnswer> {
  if (parameters.QueueUrl === undefined) return INTERNAL_SERVER_ERROR;
  if (!parameters.MessageBody) {
    // What SQS itself answers for an empty body (the SDK would refuse before sending).
    return { status: 400, body: queryError("MissingParameter", "The request must contain the parameter MessageBody.", "Sender", undefined) };
  }
  let input: SendMessageCommandInput;
  try {
    input = {
      QueueUrl: parameters.QueueUrl,
      MessageBody: parameters.MessageBody,
      MessageGroupId: parameters.MessageGroupId,
      MessageDeduplicationId: parameters.MessageDeduplicationId,
      DelaySeconds: parameters.DelaySeconds === undefined ? undefined : Number(parameters.DelaySeconds),
      MessageAttributes: parameters.MessageAttributes === undefined ? undefined : JSON.parse(parameters.MessageAttributes),
      MessageSystemAttributes: parameters.MessageSystemAttributes === undefined ? undefined : JSON.parse(parameters.MessageSystemAttributes),
    };
  } catch {
    return BAD_REQUEST;
  }
  try {
    const result = await sqs.send(new SendMessageCommand(input));
    return {
      status: 200,
      body: {
        SendMessageResponse: {
          ResponseMetadata: { RequestId: result.$metadata.requestId ?? null },
          SendMessageResult: {
            MD5OfMessageAttributes: result.MD5OfMessageAttributes ?? null,
            MD5OfMessageBody: result.MD5OfMessageBody ?? null,
            MD5OfMessageSystemAttributes: result.MD5OfMessageSystemAttributes ?? null,
            MessageId: result.MessageId ?? null,
            SequenceNumber: result.SequenceNumber ?? null,
          },
        },
      },
    };
  } catch (error) {
    if (error instanceof SQSServiceException && error.$metadata.httpStatusCode !== undefined) {
      const type = error.$fault === "client" ? "Sender" : "Receiver";
      return { status: error.$metadata.httpStatusCode, body: queryError(error.name, error.message, type, error.$metadata.requestId) };
    }
    return INTERNAL_SERVER_ERROR;
  }
}

function queryError(code: string, message: string, type: "Sender" | "Receiver", requestId: string | undefined) {
  return { Error: { Code: code, Message: message, Type: type }, RequestId: requestId ?? null };
}

export interface LocalGatewayOptions {
  readonly routes: readonly GatewayRoute[];
  readonly sqs: SQSClient;
  /** ID of the HTTP API the routes belong to ($context.apiId). */
  readonly apiId: string;
  /** @default a free port */
  readonly port?: number;
  /** One line per request, e.g. `POST /sqs-hook -> 200 (SendMessage ...)`. */
  readonly onRequest?: (line: string) => void;
}

export interface LocalGateway {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly routes: readonly GatewayRoute[];
  stop(): Promise<void>;
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const server = await serveJson(async (request, url, body) => {
    const requestId = newRequestId();
    const result = await handle(request, url, body, requestId, options);
    return { ...result, headers: { "apigw-requestid": requestId } };
  }, options.port);
  return { url: server.url, routes: options.routes, stop: () => server.stop() };
}

async function handle(request: IncomingMessage, url: URL, body: string, requestId: string, options: LocalGatewayOptions): Promise<GatewayAnswer> {
  const method = request.method ?? "GET";
  const log = (status: number, detail: string) => options.onRequest?.(`${method} ${url.pathname} -> ${status}${detail ? ` (${detail})` : ""}`);
  const matched = matchRoute(options.routes, method, url.pathname);
  if (!matched) {
    log(404, "no route");
    return NOT_FOUND;
  }
  const { route, pathParameters } = matched;
  if (route.integrationSubtype !== "SQS-SendMessage") {
    log(500, `${route.integrationType} ${route.integrationSubtype ?? ""} integrations are not emulated`.trim());
    return INTERNAL_SERVER_ERROR;
  }
  const mapped: MappedRequest = {
    method,
    path: url.pathname,
    headers: Object.fromEntries(Object.entries(request.headersDistinct).map(([name, values]) => [name, values ?? []])),
    query: url.searchParams,
    pathParameters,
    body,
    context: {
      requestId,
      apiId: options.apiId,
      routeKey: route.routeKey,
      stage: "$default",
      httpMethod: method,
      path: url.pathname,
      protocol: `HTTP/${request.httpVersion}`,
      domainName: request.headers.host ?? "127.0.0.1",
      domainPrefix: (request.headers.host ?? "127").split(".")[0],
      requestTimeEpoch: String(Date.now()),
      "identity.sourceIp": request.socket.remoteAddress ?? "127.0.0.1",
      "identity.userAgent": request.headers["user-agent"] ?? "",
    },
  };
  const parameters: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(route.requestParameters)) {
    const resolved = mapParameter(value, mapped);
    if (resolved === undefined && value.startsWith("$")) {
      log(400, `cannot resolve ${name} from ${value}`);
      return BAD_REQUEST;
    }
    parameters[name] = resolved;
  }
  const result = await sendMessageAsIntegration(options.sqs, parameters);
  const sent = (result.body as { SendMessageResponse?: { SendMessageResult?: { MessageId?: string } } }).SendMessageResponse?.SendMessageResult;
  log(result.status, sent ? `SendMessage group ${parameters.MessageGroupId ?? "-"} MessageId ${sent.MessageId}` : JSON.stringify(result.body));
  return result;
}

/** API Gateway's request IDs look like `Kq0ZXj2xNjMEJdw=`. */
function newRequestId(): string {
  return randomBytes(10).toString("base64");
}
