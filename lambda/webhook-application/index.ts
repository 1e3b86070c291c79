/**
 * The article's dummy application: the webhook the forwarder delivers to. It answers 200
 * to every request and logs that one arrived: its metadata at INFO, the body and the query
 * string at DEBUG only (a webhook body can carry personal data, a query string a token).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";

/** Service name and level come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL. */
const logger = new Logger();

/** Headers worth a log line: who sent it and which webhook it is, never credentials or signatures. */
export const LOGGED_HEADERS = ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "x-webhook-source"] as const;

const ANSWER_HEADERS = {
  "content-type": "text/plain; charset=utf-8",
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type",
};

/** The metadata of a request that the INFO line carries. */
export function requestMetadata(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const headers = event.headers ?? {};
  const body = event.body ?? "";
  return {
    requestId: event.requestContext?.requestId,
    routeKey: event.routeKey,
    path: event.rawPath,
    bodyBytes: event.isBase64Encoded ? Buffer.from(body, "base64").length : Buffer.byteLength(body),
    headers: Object.fromEntries(LOGGED_HEADERS.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]])),
    // Who called: the IAM principal API Gateway authorized (the forwarder's role), when the route requires one.
    caller: (event.requestContext as { authorizer?: { iam?: { userArn?: string } } } | undefined)?.authorizer?.iam?.userArn,
    // Whether the forwarder signed it; the application itself would verify it (standardwebhooks).
    signed: headers["webhook-signature"] !== undefined,
  };
}

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  if (context) logger.addContext(context);
  logger.info("webhook received", requestMetadata(event));
  logger.debug("webhook body", {
    requestId: event.requestContext?.requestId,
    // A query string may carry a token: at DEBUG only, with the body.
    query: event.rawQueryString || undefined,
    body: event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? ""),
  });
  return { statusCode: 200, headers: ANSWER_HEADERS, body: "Webhook received" };
}
