import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { ITerraformDependable } from "cdktf";
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
  /**
   * Who may call the route: `AWS_IAM` lets in only requests signed by a principal allowed
   * `execute-api:Invoke` on it (the forwarder's role); `NONE` lets in anyone on the internet, with
   * invented `webhook-id` and `x-webhook-source` headers. @default "AWS_IAM"
   */
  readonly authorizationType?: "AWS_IAM" | "NONE";
  /**
   * What must be in place before the route changes (its authorization above all): the caller
   * that signs its requests and the policy that lets it, so that on an upgrade the route does
   * not turn to `AWS_IAM` while the old, unsigned caller still delivers. @default - none
   */
  readonly routeDependsOn?: ITerraformDependable[];
  /** The account the stack deploys to: the role's trust is limited to it and to the function. @default - no condition */
  readonly account?: string;
  /** @default - (with `account`) the region of the API's execution ARN */
  readonly region?: string;
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
    const logGroupName = `/aws/lambda/${props.functionName}`;
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: logGroupName,
      retentionInDays: props.logRetentionInDays,
    });
    // Every log stream of its own group and nothing else: the `*` is the stream name Lambda picks.
    // Spelled from the name when the account is known, so that a change to the group (its
    // retention) does not defer the policy documents to apply time and show them as updates.
    const logGroupArn =
      props.account !== undefined && props.region !== undefined
        ? `arn:aws:logs:${props.region}:${props.account}:log-group:${logGroupName}`
        : this.logGroup.arn;
    const ownStreams = [`${logGroupArn}:*`];
    this.role = new ServiceRole(this, "role", {
      servicePrincipal: "lambda.amazonaws.com",
      roleName: `${props.functionName}-role`,
      ...(props.account !== undefined &&
        props.region !== undefined && {
          trustedSource: { account: props.account, arn: `arn:aws:lambda:${props.region}:${props.account}:function:${props.functionName}` },
        }),
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
      authorizationType: props.authorizationType ?? "AWS_IAM",
      ...(props.routeDependsOn && { dependsOn: props.routeDependsOn }),
    });
  }
}

/**
 * The `execute-api` ARN of one route on a stage: `<execution_arn>/<stage>/POST/application-hook`.
 * ANY becomes `*`, as do path variables (`{id}`, `{proxy+}`).
 */
function routeArn(executionArn: string, stage: string, routeKey: string): string {
  if (routeKey === "$default") return `${executionArn}/${stage}/$default`;
  const [method, path] = routeKey.split(" ");
  return `${executionArn}/${stage}/${method === "ANY" ? "*" : method}${path.replace(/\{[^}]+\}/g, "*")}`;
}

/** Where API Gateway invokes the function from: the route, on any stage (the Lambda permission's source ARN). */
export function routeSourceArn(executionArn: string, routeKey: string): string {
  return routeArn(executionArn, "*", routeKey);
}

/**
 * What a caller must be allowed to `execute-api:Invoke` to call the route with IAM authorization: the
 * route on the API's `$default` stage, the one its endpoint serves.
 */
export function routeInvokeArn(executionArn: string, routeKey: string): string {
  return routeArn(executionArn, "$default", routeKey);
}
