/**
 * The routes a local gateway serves, read from the synthesized stack (what the code says)
 * with Terraform references resolved against the deployed state, and the route API Gateway
 * picks for a request.
 */
import { DeployedValues, SynthesizedStack } from "../../shared/stack-files";
import { referencedAddress, resolveReferences } from "../deployed-stack";
import { SQS_SEND_MESSAGE_PARAMETERS } from "./sqs-send-message";

export interface GatewayRoute {
  /** e.g. "POST /sqs-hook", or "$default" */
  readonly routeKey: string;
  /** e.g. aws_apigatewayv2_integration.webhook_event_producer */
  readonly integrationAddress: string;
  readonly integrationType: string;
  readonly integrationSubtype?: string;
  /** AWS_PROXY to Lambda: the function's invoke ARN. */
  readonly integrationUri?: string;
  /** AWS_PROXY to Lambda: "1.0" or "2.0". */
  readonly payloadFormatVersion?: string;
  /** Terraform references resolved; `$request...` / `$context...` mappings left for each request. */
  readonly requestParameters: Readonly<Record<string, string>>;
  /** `AWS_IAM`: only requests signed by a principal allowed `execute-api:Invoke` on the route get through. @default "NONE" */
  readonly authorizationType?: string;
}

type Block = Record<string, unknown>;

/** Every `aws_apigatewayv2_route` of the synthesized stack with its integration, references resolved against the state. */
export function gatewayRoutes(stack: SynthesizedStack, deployed: DeployedValues): GatewayRoute[] {
  const routes = Object.entries(stack.resource?.aws_apigatewayv2_route ?? {});
  return routes.map(([name, route]) => {
    const routeKey = String(route.route_key);
    const target = String(route.target ?? "");
    const integrationAddress = referencedAddress(target);
    const integrationName = integrationAddress?.split(".")[1];
    const integration: Block | undefined = integrationName ? stack.resource?.aws_apigatewayv2_integration?.[integrationName] : undefined;
    if (!integrationAddress || !integration) {
      throw new Error(`aws_apigatewayv2_route.${name} (${routeKey}): target ${JSON.stringify(target)} names no integration of this stack`);
    }
    const resolve = (value: unknown) => (value === undefined ? undefined : resolveReferences(String(value), deployed));
    const parameters = (integration.request_parameters ?? {}) as Record<string, string>;
    const gatewayRoute: GatewayRoute = {
      routeKey,
      integrationAddress,
      integrationType: String(integration.integration_type),
      ...(integration.integration_subtype !== undefined && { integrationSubtype: String(integration.integration_subtype) }),
      ...(integration.integration_uri !== undefined && { integrationUri: resolve(integration.integration_uri) }),
      ...(integration.payload_format_version !== undefined && { payloadFormatVersion: String(integration.payload_format_version) }),
      requestParameters: Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, resolveReferences(String(value), deployed)])),
      ...(route.authorization_type !== undefined && route.authorization_type !== "NONE" && { authorizationType: String(route.authorization_type) }),
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
