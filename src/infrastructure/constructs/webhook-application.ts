import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import { BUNDLE_HANDLER } from "../bundling/bundle";
import { LambdaPackaging } from "../settings";
import { LambdaPackage } from "./lambda-package";
import { ServiceRole } from "./service-role";

export interface WebhookApplicationProps {
  /** ID of the existing HTTP API the route is added to. */
  readonly apiId: string;
  /** `execution_arn` of that API, for the permission's source ARN. */
  readonly apiExecutionArn: string;
  /** e.g. `mz-dev-webhook-application`; names the role, its policies and the log group too. */
  readonly functionName: string;
  /** @default "POST /application-hook" */
  readonly routeKey?: string;
  /** @default "nodejs22.x" */
  readonly runtime?: string;
  /** @default 3 (the article's repository) */
  readonly timeoutSeconds?: number;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /** POWERTOOLS_LOG_LEVEL; DEBUG also logs each request body. @default "INFO" */
  readonly logLevel?: string;
  /** @default - never expire (the repository sets no retention) */
  readonly logRetentionInDays?: number;
  /** @default "archive_file" */
  readonly packaging?: LambdaPackaging;
}

export const DEFAULT_APPLICATION_ROUTE_KEY = "POST /application-hook";

/**
 * The article's dummy application: the webhook the forwarder delivers to, a Lambda behind
 * `POST /application-hook` on the existing HTTP API (AWS_PROXY, payload format 2.0). It
 * answers 200 and logs what arrived. Least privilege where the article's repository is
 * loose: its role may only write to its own log group, and only that route may invoke it.
 */
export class WebhookApplication extends Construct {
  public readonly role: ServiceRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly function: LambdaFunction;
  public readonly integration: Apigatewayv2Integration;
  public readonly permission: LambdaPermission;
  public readonly route: Apigatewayv2Route;

  constructor(scope: Construct, id: string, props: WebhookApplicationProps) {
    super(scope, id);
    const routeKey = props.routeKey ?? DEFAULT_APPLICATION_ROUTE_KEY;
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionInDays,
    });
    // Every log stream of its own group and nothing else: the `*` is the stream name Lambda picks.
    const ownStreams = [`${this.logGroup.arn}:*`];
    this.role = new ServiceRole(this, "role", {
      servicePrincipal: "lambda.amazonaws.com",
      roleName: `${props.functionName}-role`,
      inlinePolicies: {
        // The repository's two policy names stay (no replacement); each now holds one log action.
        execution: { name: `${props.functionName}-execution-policy`, statements: [{ actions: ["logs:CreateLogStream"], resources: ownStreams }] },
        logging: { name: `${props.functionName}-logging-policy`, statements: [{ actions: ["logs:PutLogEvents"], resources: ownStreams }] },
      },
    });

    const code = new LambdaPackage(this, "package", {
      lambda: "webhook-application",
      packaging: props.packaging,
      zipName: `${props.functionName}.zip`,
    });
    this.function = new LambdaFunction(this, "function", {
      description: "Dummy Webhook Application",
      functionName: props.functionName,
      handler: BUNDLE_HANDLER,
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      role: this.role.role.arn,
      runtime: props.runtime ?? "nodejs22.x",
      timeout: props.timeoutSeconds ?? 3,
      memorySize: props.memorySizeMb ?? 128,
      environment: {
        variables: { POWERTOOLS_LOG_LEVEL: props.logLevel ?? "INFO", POWERTOOLS_SERVICE_NAME: props.functionName },
      },
      // The log group must exist first, or Lambda creates one with no retention and no owner.
      dependsOn: [this.logGroup],
    });

    this.integration = new Apigatewayv2Integration(this, "integration", {
      description: "Webhook of Dummy Application",
      apiId: props.apiId,
      integrationType: "AWS_PROXY",
      integrationUri: this.function.invokeArn,
      integrationMethod: "POST",
      payloadFormatVersion: "2.0",
    });

    this.permission = new LambdaPermission(this, "permission", {
      statementId: "AllowAPIGatewayWebhookApplication",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: routeSourceArn(props.apiExecutionArn, routeKey),
    });

    this.route = new Apigatewayv2Route(this, "route", {
      apiId: props.apiId,
      routeKey,
      target: `integrations/${this.integration.id}`,
    });
  }
}

/**
 * The `execute-api` ARN of one route on any stage: `<execution_arn>/*\/POST/application-hook`.
 * ANY becomes `*`, as do path variables (`{id}`, `{proxy+}`).
 */
export function routeSourceArn(executionArn: string, routeKey: string): string {
  if (routeKey === "$default") return `${executionArn}/*/$default`;
  const [method, path] = routeKey.split(" ");
  const resource = path.replace(/\{[^}]+\}/g, "*");
  return `${executionArn}/*/${method === "ANY" ? "*" : method}${resource}`;
}
