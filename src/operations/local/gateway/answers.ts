/** What API Gateway answers the caller, and the answers it gives on its own. */

export interface GatewayAnswer {
  readonly status: number;
  /** A JSON document, or the raw bytes an integration returned (with `headers` saying what they are). */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export const NOT_FOUND: GatewayAnswer = { status: 404, body: { message: "Not Found" } };
export const BAD_REQUEST: GatewayAnswer = { status: 400, body: { message: "Bad Request" } };
export const INTERNAL_SERVER_ERROR: GatewayAnswer = { status: 500, body: { message: "Internal Server Error" } };
export const SERVICE_UNAVAILABLE: GatewayAnswer = { status: 503, body: { message: "Service Unavailable" } };
/** An HTTP API's answer to a route with IAM authorization that the request does not pass: unsigned, badly signed, or not allowed. */
export const FORBIDDEN: GatewayAnswer = { status: 403, body: { message: "Forbidden" } };
