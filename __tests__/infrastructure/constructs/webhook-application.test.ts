import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Testing } from "cdktf";
import { bundleLambda, lambdaZip } from "../../../src/infrastructure/bundling/bundle";
import {
  DEFAULT_APPLICATION_ROUTE_KEY,
  routeInvokeArn,
  routeSourceArn,
  WebhookApplication,
  WebhookApplicationProps,
} from "../../../src/infrastructure/constructs/webhook-application";
import { synth } from "../../support/synth";

const EXECUTION_ARN = "arn:aws:execute-api:ap-northeast-1:123456789012:api-1";

/** The construct on its own, as another stack would use it: only the required props unless told otherwise. */
function synthApplication(props: Partial<WebhookApplicationProps> = {}) {
  let construct!: WebhookApplication;
  const text = Testing.synthScope((scope) => {
    construct = new WebhookApplication(scope, "application", {
      apiId: "api-1",
      apiExecutionArn: EXECUTION_ARN,
      functionName: "shop-hooks",
      ...props,
    });
  });
  const json = JSON.parse(text);
  const id = (element: { friendlyUniqueId: string }) => element.friendlyUniqueId;
  const logGroupArn = `\${aws_cloudwatch_log_group.${id(construct.logGroup)}.arn}`;
  /** An inline policy of the role, by its ID: the role policy and its document's statements. */
  const inlinePolicy = (policyId: string) => {
    const document = construct.role.node.findChild(`${policyId}-document`) as DataAwsIamPolicyDocument;
    return {
      resource: json.resource.aws_iam_role_policy[id(construct.role.inlinePolicies[policyId])],
      statements: json.data.aws_iam_policy_document[id(document)].statement,
      documentReference: `\${data.aws_iam_policy_document.${id(document)}.json}`,
      reference: `\${aws_iam_role_policy.${id(construct.role.inlinePolicies[policyId])}.name}`,
    };
  };
  return {
    text,
    json,
    construct,
    logGroupArn,
    inlinePolicy,
    roleId: id(construct.role.role),
    lambda: json.resource.aws_lambda_function[id(construct.function)],
    logGroup: json.resource.aws_cloudwatch_log_group[id(construct.logGroup)],
    integration: json.resource.aws_apigatewayv2_integration[id(construct.integration)],
    permission: json.resource.aws_lambda_permission[id(construct.permission)],
    route: json.resource.aws_apigatewayv2_route[id(construct.route)],
  };
}

describe("WebhookApplication", () => {
  describe("the function", () => {
    test("a Node.js Lambda with the article's repository's names and defaults (nodejs22.x, 3 s, 128 MB, INFO)", () => {
      const { text, lambda, roleId, construct } = synthApplication();
      expect(text).toHaveResourceWithProperties(LambdaFunction, {
        description: "Dummy Webhook Application",
        function_name: "shop-hooks",
        handler: "index.handler",
        role: `\${aws_iam_role.${roleId}.arn}`,
        runtime: "nodejs22.x",
        timeout: 3,
        memory_size: 128,
        environment: { variables: { POWERTOOLS_LOG_LEVEL: "INFO", POWERTOOLS_SERVICE_NAME: "shop-hooks" } },
      });
      expect(lambda.depends_on).toEqual([`aws_cloudwatch_log_group.${construct.logGroup.friendlyUniqueId}`]);
    });

    test("runtime, timeout, memory and log level are props", () => {
      const { lambda } = synthApplication({ runtime: "nodejs24.x", timeoutSeconds: 10, memorySizeMb: 256, logLevel: "DEBUG" });
      expect(lambda).toMatchObject({
        runtime: "nodejs24.x",
        timeout: 10,
        memory_size: 256,
        environment: { variables: { POWERTOOLS_LOG_LEVEL: "DEBUG", POWERTOOLS_SERVICE_NAME: "shop-hooks" } },
      });
    });

    test("packaging: the article's data.archive_file by default, named after the function", () => {
      const { text, lambda, construct } = synthApplication();
      const archive = (construct.node.findChild("package").node.findChild("archive") as DataArchiveFile).friendlyUniqueId;
      expect(text).toHaveDataSourceWithProperties(DataArchiveFile, { type: "zip", output_path: "dist/shop-hooks.zip" });
      expect(lambda.filename).toBe(`\${data.archive_file.${archive}.output_path}`);
      expect(lambda.source_code_hash).toBe(`\${data.archive_file.${archive}.output_base64sha256}`);
    });

    test("packaging: zip, the application's own bundle zipped at synth time", () => {
      const { json, lambda } = synthApplication({ packaging: "zip" });
      expect(json.data.archive_file).toBeUndefined();
      expect(lambda.filename).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/shop-hooks\.zip$/);
      expect(lambda.source_code_hash).toBe(lambdaZip(bundleLambda("webhook-application")).sha256Base64);
    });
  });

  describe("the log group", () => {
    test("/aws/lambda/<functionName>, never expiring by default (the repository sets no retention)", () => {
      const { text, logGroup } = synthApplication();
      expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/shop-hooks" });
      expect(logGroup).toEqual({ name: "/aws/lambda/shop-hooks" });
    });

    test("logRetentionInDays sets a retention", () => {
      expect(synthApplication({ logRetentionInDays: 14 }).logGroup).toEqual({ name: "/aws/lambda/shop-hooks", retention_in_days: 14 });
    });
  });

  describe("the role: least privilege", () => {
    test("<functionName>-role, assumed by Lambda only", () => {
      const { text, json, construct, roleId } = synthApplication();
      expect(text).toHaveResourceWithProperties(IamRole, { name: "shop-hooks-role" });
      expect(json.resource.aws_iam_role[roleId].name).toBe("shop-hooks-role");
      expect(json.data.aws_iam_policy_document[construct.role.assumeRolePolicy.friendlyUniqueId].statement).toEqual([
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
      ]);
    });

    test("the execution policy (the repository's name): logs:CreateLogStream on its own log group's streams only", () => {
      const { inlinePolicy, logGroupArn } = synthApplication();
      const execution = inlinePolicy("execution");
      expect(execution.resource.name).toBe("shop-hooks-execution-policy");
      expect(execution.resource.policy).toBe(execution.documentReference);
      expect(execution.statements).toEqual([{ actions: ["logs:CreateLogStream"], resources: [`${logGroupArn}:*`] }]);
    });

    test("the logging policy (the repository's name): logs:PutLogEvents on its own log group's streams only", () => {
      const { inlinePolicy, logGroupArn } = synthApplication();
      const logging = inlinePolicy("logging");
      expect(logging.resource.name).toBe("shop-hooks-logging-policy");
      expect(logging.resource.policy).toBe(logging.documentReference);
      expect(logging.statements).toEqual([{ actions: ["logs:PutLogEvents"], resources: [`${logGroupArn}:*`] }]);
    });

    test("with the account known, both name the log group's ARN without referring to the group, so a retention change leaves them be", () => {
      const { inlinePolicy } = synthApplication({ account: "123456789012", region: "ap-northeast-1" });
      const streams = "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/lambda/shop-hooks:*";
      expect(inlinePolicy("execution").statements).toEqual([{ actions: ["logs:CreateLogStream"], resources: [streams] }]);
      expect(inlinePolicy("logging").statements).toEqual([{ actions: ["logs:PutLogEvents"], resources: [streams] }]);
    });

    test("those two inline policies only, held exclusive; no managed policy, no wildcard action", () => {
      const { text, json, roleId, inlinePolicy } = synthApplication();
      expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "shop-hooks-execution-policy" });
      expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "shop-hooks-logging-policy" });
      expect(text).toHaveResourceWithProperties(IamRolePoliciesExclusive, {
        role_name: `\${aws_iam_role.${roleId}.name}`,
        policy_names: [inlinePolicy("execution").reference, inlinePolicy("logging").reference],
      });
      expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(2);
      expect(json.resource.aws_iam_role_policy_attachment).toBeUndefined();
      const actions = Object.values(json.data.aws_iam_policy_document as Record<string, { statement: { actions: string[] }[] }>).flatMap((document) =>
        document.statement.flatMap((statement) => statement.actions),
      );
      expect(actions.sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents", "sts:AssumeRole"]);
      expect(text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
        statement: [{ actions: ["logs:PutLogEvents"], resources: expect.any(Array) }],
      });
    });
  });

  describe("the route", () => {
    test("POST /application-hook by default, on the given API, targeting the integration", () => {
      const { text, route, construct } = synthApplication();
      expect(route).toEqual({
        api_id: "api-1",
        route_key: "POST /application-hook",
        target: `integrations/\${aws_apigatewayv2_integration.${construct.integration.friendlyUniqueId}.id}`,
        // Only a caller signing with a principal allowed execute-api:Invoke on it (the forwarder's role) gets in.
        authorization_type: "AWS_IAM",
      });
      expect(text).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: DEFAULT_APPLICATION_ROUTE_KEY });
      expect(DEFAULT_APPLICATION_ROUTE_KEY).toBe("POST /application-hook");
    });

    test("the integration: AWS_PROXY to the function's invoke ARN, POST, payload format 2.0", () => {
      const { text, integration, construct } = synthApplication();
      expect(integration).toEqual({
        description: "Webhook of Dummy Application",
        api_id: "api-1",
        integration_type: "AWS_PROXY",
        integration_uri: `\${aws_lambda_function.${construct.function.friendlyUniqueId}.invoke_arn}`,
        integration_method: "POST",
        payload_format_version: "2.0",
      });
      expect(text).toHaveResourceWithProperties(Apigatewayv2Integration, { integration_type: "AWS_PROXY", payload_format_version: "2.0" });
    });

    test("the permission: only API Gateway, only from that route (any stage), may invoke the function", () => {
      const { text, permission, construct } = synthApplication();
      expect(permission).toEqual({
        statement_id: "AllowAPIGatewayWebhookApplication",
        action: "lambda:InvokeFunction",
        function_name: `\${aws_lambda_function.${construct.function.friendlyUniqueId}.function_name}`,
        principal: "apigateway.amazonaws.com",
        source_arn: `${EXECUTION_ARN}/*/POST/application-hook`,
      });
      expect(text).toHaveResourceWithProperties(LambdaPermission, { source_arn: `${EXECUTION_ARN}/*/POST/application-hook` });
    });

    test("routeKey moves both the route and the permission's source ARN", () => {
      const { route, permission } = synthApplication({ routeKey: "PUT /hooks/{tenant}" });
      expect(route.route_key).toBe("PUT /hooks/{tenant}");
      expect(permission.source_arn).toBe(`${EXECUTION_ARN}/*/PUT/hooks/*`);
    });
  });

  test("creates exactly: role (3 documents, 2 policies, exclusive), log group, package, function, integration, permission, route", () => {
    const { json } = synthApplication();
    const count = (blocks: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(blocks).map(([type, named]) => [type, Object.keys(named).length]));
    expect(count(json.resource)).toEqual({
      aws_apigatewayv2_integration: 1,
      aws_apigatewayv2_route: 1,
      aws_cloudwatch_log_group: 1,
      aws_iam_role: 1,
      aws_iam_role_policies_exclusive: 1,
      aws_iam_role_policy: 2,
      aws_lambda_function: 1,
      aws_lambda_permission: 1,
    });
    expect(count(json.data)).toEqual({ archive_file: 1, aws_iam_policy_document: 3 });
  });

  test("exposes its parts under the construct IDs the stack's address map pins", () => {
    const { construct } = synthApplication();
    expect(construct.role.node.id).toBe("role");
    expect(construct.logGroup.node.id).toBe("log-group");
    expect(construct.function.node.id).toBe("function");
    expect(construct.integration.node.id).toBe("integration");
    expect(construct.permission.node.id).toBe("permission");
    expect(construct.route.node.id).toBe("route");
    expect(Object.keys(construct.role.inlinePolicies)).toEqual(["execution", "logging"]);
  });
});

describe("routeSourceArn", () => {
  test.each([
    ["POST /application-hook", "E/*/POST/application-hook"],
    ["GET /", "E/*/GET/"],
    ["ANY /hooks", "E/*/*/hooks"],
    // A path variable, greedy or not, matches any value: `*`.
    ["PUT /hooks/{tenant}", "E/*/PUT/hooks/*"],
    ["GET /items/{id}/files/{proxy+}", "E/*/GET/items/*/files/*"],
    ["ANY /{proxy+}", "E/*/*/*"],
    // Only whole, non-empty `{...}` groups are variables.
    ["POST /a}b{c", "E/*/POST/a}b{c"],
    ["POST /a/{}", "E/*/POST/a/{}"],
    ["POST /anything", "E/*/POST/anything"],
    ["$default", "E/*/$default"],
  ])("%s -> %s", (routeKey, expected) => {
    expect(routeSourceArn("E", routeKey)).toBe(expected);
  });

  test("the execution ARN is kept as it is, a Terraform reference included", () => {
    expect(routeSourceArn("${data.aws_apigatewayv2_api.this.execution_arn}", "POST /application-hook")).toBe(
      "${data.aws_apigatewayv2_api.this.execution_arn}/*/POST/application-hook",
    );
  });
});

describe("routeInvokeArn", () => {
  test.each([
    ["POST /application-hook", "E/$default/POST/application-hook"],
    ["ANY /hooks/{tenant}", "E/$default/*/hooks/*"],
    ["$default", "E/$default/$default"],
  ])("%s -> %s: the route on the stage the API's endpoint serves", (routeKey, expected) => {
    expect(routeInvokeArn("E", routeKey)).toBe(expected);
  });
});

describe("the route's authorization", () => {
  test("authorizationType NONE opens the route to anyone, as the article's repository had it", () => {
    expect(synthApplication({ authorizationType: "NONE" }).route.authorization_type).toBe("NONE");
  });

  test("without routeDependsOn the route waits for nothing", () => {
    expect(synthApplication().route.depends_on).toBeUndefined();
  });

  test("with the account and region, the role's trust names them and the function", () => {
    const { json, construct } = synthApplication({ account: "123456789012", region: "ap-northeast-1" });
    expect(json.data.aws_iam_policy_document[construct.role.assumeRolePolicy.friendlyUniqueId].statement[0].condition).toEqual([
      { test: "StringEqualsIfExists", variable: "aws:SourceAccount", values: ["123456789012"] },
      { test: "ArnLikeIfExists", variable: "aws:SourceArn", values: ["arn:aws:lambda:ap-northeast-1:123456789012:function:shop-hooks"] },
    ]);
  });
});

describe("in the mz-dev stack", () => {
  test("the route requires IAM; the forwarder's role may invoke exactly it, and signs its requests to it", () => {
    const { json } = synth();
    expect(json.resource.aws_apigatewayv2_route.webhook_application.authorization_type).toBe("AWS_IAM");
    expect(json.data.aws_iam_policy_document.webhook_event_producer_invoke_policy.statement).toEqual([
      { actions: ["execute-api:Invoke"], resources: ["${data.aws_apigatewayv2_api.this.execution_arn}/$default/POST/application-hook"] },
    ]);
    expect(json.resource.aws_cloudwatch_log_group.webhook_application.retention_in_days).toBe("${var.log_retention_in_days}");
  });

  test("the route turns to AWS_IAM only after the forwarder that signs and the policy that lets it are in place", () => {
    const { json } = synth();
    expect(json.resource.aws_apigatewayv2_route.webhook_application.depends_on).toEqual(
      expect.arrayContaining(["aws_lambda_function.webhook_event_producer", "aws_iam_role_policy.webhook_event_producer_invoke_policy"]),
    );
  });

  test("the permission's source ARN is the existing API's execution ARN, limited to the route", () => {
    const { json } = synth();
    expect(json.resource.aws_lambda_permission.webhook_application.source_arn).toBe(
      "${data.aws_apigatewayv2_api.this.execution_arn}/*/POST/application-hook",
    );
  });

  test("the default source's target is that route on the existing API", () => {
    const { json } = synth();
    expect(json.resource.aws_lambda_function.webhook_event_producer.environment.variables.SOURCES).toBe(
      '${jsonencode({"default" = {"group" = {"static" = "mz-dev-sqs-webhook"}, "targets" = {"application" = {"url" = "${data.aws_apigatewayv2_api.this.api_endpoint}/application-hook", "awsIam" = true}}}})}',
    );
  });
});
