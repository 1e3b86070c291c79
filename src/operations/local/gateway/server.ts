/**
 * A local stand-in for the existing HTTP API (moto keeps API Gateway v2 objects but does not
 * serve them over HTTP): it serves the routes the stack adds, with their integrations:
 * SQS-SendMessage into the queue, and AWS_PROXY to a Lambda function run locally.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { randomBytes } from "node:crypto";
import { IncomingMessage } from "node:http";
import { serveHttp } from "../http-server";
import { InvocationOutcome } from "../lambda-sandbox";
import { FORBIDDEN, GatewayAnswer, INTERNAL_SERVER_ERROR, NOT_FOUND, SERVICE_UNAVAILABLE } from "./answers";
import { authorizeIam, IamAuthority, IamDecision, IamIdentity } from "./iam-authorization";
import { answerOf, functionArnOf, invocationAllowed, payloadV2Event } from "./lambda-proxy";
import { evaluateParameter, MappedRequest } from "./parameter-mapping";
import { GatewayRoute, matchRoute } from "./routes";
import { sendMessageAsIntegration } from "./sqs-send-message";

/** Runs the functions behind AWS_PROXY Lambda routes. */
export interface LambdaRuntime {
  invoke(functionArn: string, event: unknown): Promise<InvocationOutcome>;
  /** The function's resource policy (Lambda GetPolicy's document), or undefined when it has none. */
  policy(functionArn: string): Promise<string | undefined>;
}

export interface LocalGatewayOptions {
  readonly routes: readonly GatewayRoute[];
  readonly sqs: SQSClient;
  /** ID of the HTTP API the routes belong to ($context.apiId). */
  readonly apiId: string;
  /** `arn:aws:execute-api:<region>:<account>:<apiId>`, which a Lambda permission's source ARN is checked against. */
  readonly executionArn?: string;
  /** Needed for AWS_PROXY Lambda routes. */
  readonly lambda?: LambdaRuntime;
  /** The keys and policies routes with IAM authorization are checked against; without it, such routes answer 403 to everyone. */
  readonly iam?: IamAuthority;
  /** @default a free port */
  readonly port?: number;
  /** One line per request, e.g. `POST /sqs-hook -> 200 (SendMessage ...)`, and the same as fields. */
  readonly onRequest?: (line: string, request: GatewayRequest) => void;
}

/** A request as the gateway answered it. */
export interface GatewayRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Why, or what the integration did, e.g. `release in progress`, `SendMessage group g MessageId m`. */
  readonly detail: string;
  /** The route it matched. */
  readonly routeKey?: string;
  /** What an SQS-SendMessage integration queued. */
  readonly queued?: { readonly messageId: string; readonly messageGroupId?: string; readonly deduplicationId?: string };
}

export interface LocalGateway {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly routes: readonly GatewayRoute[];
  /**
   * Makes a route answer 503 Service Unavailable without calling its integration, as an
   * application does while a release replaces it (`true`), or to the requests whose body
   * `unavailable` picks (a webhook the application cannot take); `false` restores it.
   */
  setUnavailable(routeKey: string, unavailable: boolean | ((body: Buffer) => boolean)): void;
  stop(): Promise<void>;
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const unavailable = new Map<string, (body: Buffer) => boolean>();
  const server = await serveHttp(async (request, url, body) => {
    const requestId = newRequestId();
    const answer = await handle({ request, url, body, requestId, unavailable }, options);
    return { ...answer, headers: { ...answer.headers, "apigw-requestid": requestId } };
  }, options.port);
  return {
    url: server.url,
    routes: options.routes,
    setUnavailable: (routeKey, off) => {
      if (off === false) unavailable.delete(routeKey);
      else unavailable.set(routeKey, off === true ? () => true : off);
    },
    stop: () => server.stop(),
  };
}

interface Exchange {
  readonly request: IncomingMessage;
  readonly url: URL;
  readonly body: Buffer;
  readonly requestId: string;
  readonly unavailable: ReadonlyMap<string, (body: Buffer) => boolean>;
}

async function handle(exchange: Exchange, options: LocalGatewayOptions): Promise<GatewayAnswer> {
  const { request, url } = exchange;
  const method = request.method ?? "GET";
  const matched = matchRoute(options.routes, method, url.pathname);
  const log: Log = (status, detail, queued) =>
    options.onRequest?.(`${method} ${url.pathname} -> ${status}${detail ? ` (${detail})` : ""}`, {
      method,
      path: url.pathname,
      status,
      detail,
      routeKey: matched?.route.routeKey,
      ...(queued && { queued }),
    });
  if (!matched) {
    log(404, "no route");
    return NOT_FOUND;
  }
  const { route, pathParameters } = matched;
  if (exchange.unavailable.get(route.routeKey)?.(exchange.body)) {
    log(503, "release in progress");
    return SERVICE_UNAVAILABLE;
  }
  let caller: IamIdentity | undefined;
  if (route.authorizationType === "AWS_IAM") {
    const decision = await authorize(exchange, options);
    if (!decision.allowed) {
      log(403, `IAM authorization: ${decision.why}`);
      return FORBIDDEN;
    }
    caller = decision.identity;
  } else if (route.authorizationType !== undefined) {
    log(500, `${route.authorizationType} authorization is not emulated`);
    return INTERNAL_SERVER_ERROR;
  }
  const call: IntegrationCall = { exchange, route, pathParameters, options, log, caller };
  if (route.integrationSubtype === "SQS-SendMessage") return sendToQueue(call);
  if (route.integrationType === "AWS_PROXY" && route.integrationSubtype === undefined && route.integrationUri) return invokeFunction(call);
  log(500, `${route.integrationType} ${route.integrationSubtype ?? ""} integrations are not emulated`.trim());
  return INTERNAL_SERVER_ERROR;
}

type Log = (status: number, detail: string, queued?: GatewayRequest["queued"]) => void;

/** API Gateway's IAM check of the request against the route's ARN on the `$default` stage. */
async function authorize(exchange: Exchange, options: LocalGatewayOptions): Promise<IamDecision> {
  if (!options.iam || !options.executionArn) return { allowed: false, why: "this gateway knows no IAM identity" };
  const { request, url, body } = exchange;
  const method = request.method ?? "GET";
  const resourceArn = `${options.executionArn}/$default/${method}${url.pathname}`;
  return authorizeIam({ method, path: `${url.pathname}${url.search}`, headers: request.headers, body }, resourceArn, options.iam);
}

function headersOf(request: IncomingMessage): Record<string, readonly string[]> {
  return Object.fromEntries(Object.entries(request.headersDistinct).map(([name, values]) => [name, values ?? []]));
}

/** A request matched to its route, on its way to the route's integration. */
interface IntegrationCall {
  readonly exchange: Exchange;
  readonly route: GatewayRoute;
  readonly pathParameters: Record<string, string>;
  readonly options: LocalGatewayOptions;
  readonly log: Log;
  /** The IAM principal let in by the route's authorization. */
  readonly caller?: IamIdentity;
}

async function sendToQueue({ exchange, route, pathParameters, options, log }: IntegrationCall): Promise<GatewayAnswer> {
  const { request, url, requestId } = exchange;
  const method = request.method ?? "GET";
  const mapped: MappedRequest = {
    method,
    path: url.pathname,
    headers: headersOf(request),
    query: url.searchParams,
    pathParameters,
    body: exchange.body.toString("utf8"),
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
    const evaluated = evaluateParameter(value, mapped);
    if ("missing" in evaluated) {
      // What API Gateway reports when a mapping source has no value: the integration fails.
      log(500, `Unable to resolve property ${name} from source ${evaluated.missing}`);
      return INTERNAL_SERVER_ERROR;
    }
    parameters[name] = evaluated.value;
  }
  const result = await sendMessageAsIntegration(options.sqs, parameters);
  const sent = (result.body as { SendMessageResponse?: { SendMessageResult?: { MessageId?: string } } }).SendMessageResponse?.SendMessageResult;
  log(
    result.status,
    sent ? `SendMessage group ${parameters.MessageGroupId ?? "-"} MessageId ${sent.MessageId}` : JSON.stringify(result.body),
    sent?.MessageId
      ? { messageId: sent.MessageId, messageGroupId: parameters.MessageGroupId, deduplicationId: parameters.MessageDeduplicationId }
      : undefined,
  );
  return result;
}

async function invokeFunction({ exchange, route, pathParameters, options, log, caller }: IntegrationCall): Promise<GatewayAnswer> {
  const { request, url, requestId } = exchange;
  const functionArn = functionArnOf(route.integrationUri!);
  if (!options.lambda || !options.executionArn) {
    log(500, `no Lambda runtime for ${functionArn}`);
    return INTERNAL_SERVER_ERROR;
  }
  if (route.payloadFormatVersion !== "2.0") {
    log(500, `payload format ${route.payloadFormatVersion ?? "1.0"} is not emulated`);
    return INTERNAL_SERVER_ERROR;
  }
  const method = request.method ?? "GET";
  const sourceArn = `${options.executionArn}/$default/${method}${url.pathname}`;
  if (!invocationAllowed(await options.lambda.policy(functionArn), sourceArn)) {
    // What API Gateway does when the function's resource policy does not let it in.
    log(500, `${functionArn} does not allow apigateway.amazonaws.com to invoke it from ${sourceArn}`);
    return INTERNAL_SERVER_ERROR;
  }
  const event = payloadV2Event({
    method,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: headersOf(request),
    body: exchange.body,
    routeKey: route.routeKey,
    pathParameters,
    requestId,
    apiId: options.apiId,
    accountId: options.executionArn.split(":")[4] ?? "",
    domainName: request.headers.host ?? "127.0.0.1",
    sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
    protocol: `HTTP/${request.httpVersion}`,
    timeEpoch: Date.now(),
    ...(caller && {
      iam: {
        accessKey: String(/Credential=([^/]+)/.exec(String(request.headers.authorization))?.[1]),
        accountId: options.executionArn.split(":")[4] ?? "",
        callerId: caller.callerArn.split("/").slice(-2).join(":"),
        userArn: caller.callerArn,
      },
    }),
  });
  const outcome = await options.lambda.invoke(functionArn, event);
  const answer = answerOf(outcome);
  log(
    answer.status,
    outcome.kind === "returned"
      ? `${functionArn.split(":").pop()} ${outcome.durationMs} ms`
      : `${outcome.kind}: ${"errorMessage" in outcome ? outcome.errorMessage : ""}`,
  );
  return answer;
}

/** API Gateway's request IDs look like `Kq0ZXj2xNjMEJdw=`. */
function newRequestId(): string {
  return randomBytes(10).toString("base64");
}
