import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Fn, ref, TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import { DEFAULT_RETRY_POLICY, ForwarderSources } from "../../../lambda/forwarder/contract";
import { bundleLambda, lambdaZip } from "../../../src/infrastructure/bundling/bundle";
import { Forwarder, ForwarderProps } from "../../../src/infrastructure/constructs/forwarder";

const QUEUE_ARN = "${aws_sqs_queue.queue.arn}";
const QUARANTINE_ARN = "${aws_sqs_queue.quarantine.arn}";
const ACCOUNT = "123456789012";
const REGION = "ap-northeast-1";
const KMS_KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const UNSIGNED: ForwarderSources = { shop: { group: { static: "shop" }, targets: { application: { url: "https://app.example.com/hook" } } } };

type Props = Partial<Omit<ForwarderProps, "queue" | "quarantineQueue">>;

/**
 * The construct on its own, beside its two queues: only the required props unless told otherwise
 * (props may be made in the scope, beside elements they name).
 */
function synthForwarder(props: Props | ((scope: TerraformStack) => Props) = {}) {
  let construct!: Forwarder;
  const text = Testing.synthScope((scope) => {
    const queue = new SqsQueue(scope, "queue", { name: "shop.fifo", fifoQueue: true });
    const quarantineQueue = new SqsQueue(scope, "quarantine", { name: "shop-quarantine.fifo", fifoQueue: true });
    construct = new Forwarder(scope, "forwarder", {
      queue,
      quarantineQueue,
      functionName: "shop-forwarder",
      sources: UNSIGNED,
      account: ACCOUNT,
      region: REGION,
      ...(typeof props === "function" ? props(scope as TerraformStack) : props),
    });
  });
  const json = JSON.parse(text);
  const role = construct.executionRole;
  /** An inline policy of the execution role, by its ID: the role policy and its document's statements. */
  const inlinePolicy = (id: string) => {
    const policy = role.inlinePolicies[id];
    if (!policy) return undefined;
    const document = role.node.findChild(`${id}-document`) as DataAwsIamPolicyDocument;
    return {
      resource: json.resource.aws_iam_role_policy[policy.friendlyUniqueId],
      reference: `\${aws_iam_role_policy.${policy.friendlyUniqueId}.name}`,
      documentReference: `\${data.aws_iam_policy_document.${document.friendlyUniqueId}.json}`,
      statements: json.data.aws_iam_policy_document[document.friendlyUniqueId].statement,
    };
  };
  return {
    text,
    json,
    construct,
    roleId: role.role.friendlyUniqueId,
    lambda: json.resource.aws_lambda_function[construct.function.friendlyUniqueId],
    variables: json.resource.aws_lambda_function[construct.function.friendlyUniqueId].environment.variables as Record<string, string>,
    mapping: json.resource.aws_lambda_event_source_mapping[construct.eventSourceMapping.friendlyUniqueId],
    logGroup: json.resource.aws_cloudwatch_log_group[construct.logGroup.friendlyUniqueId],
    inlinePolicy,
  };
}

/** Sources whose signature and targets name SSM parameters (unsorted, one twice, one without a leading slash). */
const SIGNED: ForwarderSources = {
  github: {
    group: { prefix: "github:" },
    targets: { application: { url: "https://app.example.com/hook", signingSecretParameter: "/shop/signing" } },
    signature: { scheme: "github", secretParameters: ["/webhooks/github/next", "/webhooks/github/current"] },
  },
  stripe: {
    group: { static: "stripe" },
    targets: {
      billing: { url: "https://billing.example.com/hook" },
      audit: { url: "https://audit.example.com/hook", signingSecretParameter: "/shop/signing" },
    },
    signature: { scheme: "stripe", secretParameters: ["webhooks/stripe"] },
  },
};

describe("Forwarder", () => {
  describe("the function", () => {
    test("a Node.js 22 arm64 Lambda running the bundle's handler as the execution role, with the defaults (60 s, 128 MB)", () => {
      const { text, lambda, roleId, construct } = synthForwarder();
      expect(text).toHaveResourceWithProperties(LambdaFunction, {
        description: "Webhook Event Producer",
        function_name: "shop-forwarder",
        handler: "index.handler",
        role: `\${aws_iam_role.${roleId}.arn}`,
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        timeout: 60,
        memory_size: 128,
      });
      expect(lambda.depends_on).toEqual([
        `aws_iam_role_policy_attachment.${(construct.node.findChild("basic-execution") as IamRolePolicyAttachment).friendlyUniqueId}`,
        `aws_cloudwatch_log_group.${construct.logGroup.friendlyUniqueId}`,
      ]);
    });

    test("runtime, timeout and memory are props", () => {
      const { lambda } = synthForwarder({ runtime: "nodejs24.x", timeoutSeconds: 30, memorySizeMb: 512 });
      expect(lambda).toMatchObject({ runtime: "nodejs24.x", timeout: 30, memory_size: 512 });
    });

    test("packaging: the article's data.archive_file by default", () => {
      const { text, json, lambda, construct } = synthForwarder();
      const archive = (construct.node.findChild("package").node.findChild("archive") as DataArchiveFile).friendlyUniqueId;
      expect(text).toHaveDataSourceWithProperties(DataArchiveFile, { type: "zip", output_path: "dist/shop-forwarder.zip" });
      expect(lambda.filename).toBe(`\${data.archive_file.${archive}.output_path}`);
      expect(lambda.source_code_hash).toBe(`\${data.archive_file.${archive}.output_base64sha256}`);
      expect(Object.keys(json.data.archive_file)).toEqual([archive]);
    });

    test("packaging: zip, the forwarder's bundle zipped at synth time and named after the function", () => {
      const { json, lambda } = synthForwarder({ packaging: "zip" });
      expect(json.data.archive_file).toBeUndefined();
      expect(lambda.filename).toMatch(/^assets\/[^/]+\/[0-9A-F]+\/shop-forwarder\.zip$/);
      expect(lambda.source_code_hash).toBe(lambdaZip(bundleLambda("forwarder")).sha256Base64);
    });
  });

  describe("retries inside the queue", () => {
    /** With the DLQ and the held-groups table beside the queues; the queue's maxReceiveCount as a Terraform expression. */
    function synthRetrying(table = true) {
      let dlq!: SqsQueue;
      let heldGroups!: DynamodbTable;
      const { variables, inlinePolicy } = synthForwarder((scope) => {
        dlq = new SqsQueue(scope, "dlq", { name: "shop-dlq.fifo", fifoQueue: true });
        heldGroups = new DynamodbTable(scope, "held", { name: "shop-held", hashKey: "group", attribute: [{ name: "group", type: "S" }] });
        const maxReceiveCount = Fn.max([Token.asNumber(ref("var.webhook.max_receive_count", scope)), 70]);
        return { retry: { policy: DEFAULT_RETRY_POLICY, deadLetterQueue: dlq, maxReceiveCount, ...(table && { heldGroupsTable: heldGroups }) } };
      });
      const retry = inlinePolicy("retry")!;
      return {
        variables,
        statements: retry.statements,
        policyName: retry.resource.name,
        dlqArn: `\${aws_sqs_queue.${dlq.friendlyUniqueId}.arn}`,
        dlqUrl: `\${aws_sqs_queue.${dlq.friendlyUniqueId}.url}`,
        tableArn: `\${aws_dynamodb_table.${heldGroups.friendlyUniqueId}.arn}`,
        tableName: `\${aws_dynamodb_table.${heldGroups.friendlyUniqueId}.name}`,
      };
    }

    test("the policy, the DLQ, the table and the queue's maxReceiveCount reach the function's environment", () => {
      const { variables, dlqUrl, tableName } = synthRetrying();
      expect(variables).toMatchObject({
        RETRY_POLICY: JSON.stringify(DEFAULT_RETRY_POLICY),
        DEAD_LETTER_QUEUE_URL: dlqUrl,
        HELD_GROUPS_TABLE: tableName,
        MAX_RECEIVE_COUNT: "${max(var.webhook.max_receive_count, 70)}",
      });
    });

    test("the role may send to the DLQ and read and update the held groups: nothing more", () => {
      const { statements, policyName, dlqArn, tableArn } = synthRetrying();
      expect(policyName).toBe("webhook-retry-policy");
      expect(statements).toEqual([
        { actions: ["sqs:SendMessage"], resources: [dlqArn] },
        { actions: ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], resources: [tableArn] },
      ]);
    });

    test("without a table: dead letters, no holds", () => {
      const { variables, statements, dlqArn } = synthRetrying(false);
      expect(variables.HELD_GROUPS_TABLE).toBeUndefined();
      expect(statements).toEqual([{ actions: ["sqs:SendMessage"], resources: [dlqArn] }]);
    });

    test("without retry: no retry variable, no retry policy", () => {
      const { variables, construct } = synthForwarder();
      expect(Object.keys(variables).filter((name) => /RETRY|DEAD_LETTER|HELD|MAX_RECEIVE/.test(name))).toEqual([]);
      expect(construct.executionRole.inlinePolicies.retry).toBeUndefined();
    });
  });

  describe("the environment", () => {
    test("by default: the queue's and the quarantine queue's URLs, the sources as JSON, INFO logs under the function's name; no timeout", () => {
      const { variables } = synthForwarder();
      expect(variables).toEqual({
        QUEUE_URL: "${aws_sqs_queue.queue.url}",
        QUARANTINE_QUEUE_URL: "${aws_sqs_queue.quarantine.url}",
        SOURCES: '${jsonencode({"shop" = {"group" = {"static" = "shop"}, "targets" = {"application" = {"url" = "https://app.example.com/hook"}}}})}',
        POWERTOOLS_LOG_LEVEL: "INFO",
        POWERTOOLS_SERVICE_NAME: "shop-forwarder",
        // The delivery metrics' namespace (EMF lines): lambda/forwarder/contract.ts DELIVERY_METRICS.
        POWERTOOLS_METRICS_NAMESPACE: "WebhookQueue",
      });
    });

    test("SOURCES: every source with its targets and signature; Terraform references in URLs are resolved by Terraform", () => {
      let construct!: Forwarder;
      const json = JSON.parse(
        Testing.synthScope((scope) => {
          const endpoint = new TerraformVariable(scope, "endpoint", { type: "string" });
          const queue = new SqsQueue(scope, "queue", {});
          const quarantineQueue = new SqsQueue(scope, "quarantine", {});
          construct = new Forwarder(scope, "forwarder", {
            queue,
            quarantineQueue,
            functionName: "shop-forwarder",
            account: ACCOUNT,
            region: REGION,
            sources: {
              github: {
                group: { prefix: "github:" },
                targets: { application: { url: `${endpoint.stringValue}/application-hook`, signingSecretParameter: "/shop/signing" } },
                signature: { scheme: "github", secretParameters: ["/webhooks/github"] },
              },
            },
          });
        }),
      );
      expect(json.resource.aws_lambda_function[construct.function.friendlyUniqueId].environment.variables.SOURCES).toBe(
        '${jsonencode({"github" = {"group" = {"prefix" = "github:"}, "targets" = {"application" = {"url" = "${var.endpoint}/application-hook", "signingSecretParameter" = "/shop/signing"}}, "signature" = {"scheme" = "github", "secretParameters" = ["/webhooks/github"]}}})}',
      );
    });

    test("FORWARD_TIMEOUT_MS: set from forwardTimeoutMs, as a string", () => {
      expect(synthForwarder({ forwardTimeoutMs: 2500 }).variables.FORWARD_TIMEOUT_MS).toBe("2500");
    });

    test("POWERTOOLS_LOG_LEVEL: set from logLevel", () => {
      expect(synthForwarder({ logLevel: "DEBUG" }).variables.POWERTOOLS_LOG_LEVEL).toBe("DEBUG");
    });

    test("every variable at once", () => {
      const { variables } = synthForwarder({ forwardTimeoutMs: 1000, logLevel: "WARN", functionName: "acme-forwarder" });
      expect(Object.keys(variables).sort()).toEqual([
        "FORWARD_TIMEOUT_MS",
        "POWERTOOLS_LOG_LEVEL",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_SERVICE_NAME",
        "QUARANTINE_QUEUE_URL",
        "QUEUE_URL",
        "SOURCES",
      ]);
      expect(variables).toMatchObject({
        FORWARD_TIMEOUT_MS: "1000",
        POWERTOOLS_LOG_LEVEL: "WARN",
        POWERTOOLS_SERVICE_NAME: "acme-forwarder",
      });
    });
  });

  describe("the execution role", () => {
    test("assumed by Lambda only, for this function of this account where Lambda says so, named <functionName>-execution-role by default", () => {
      const { text, json, construct, roleId } = synthForwarder();
      expect(json.resource.aws_iam_role[roleId].name).toBe("shop-forwarder-execution-role");
      expect(json.data.aws_iam_policy_document[construct.executionRole.assumeRolePolicy.friendlyUniqueId].statement).toEqual([
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          condition: [
            { test: "StringEqualsIfExists", variable: "aws:SourceAccount", values: [ACCOUNT] },
            { test: "ArnLikeIfExists", variable: "aws:SourceArn", values: [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:shop-forwarder`] },
          ],
        },
      ]);
      expect(text).toHaveResourceWithProperties(IamRole, { name: "shop-forwarder-execution-role" });
    });

    test("executionRoleName overrides the role's name", () => {
      const { json, roleId } = synthForwarder({ executionRoleName: "legacy-execution-role" });
      expect(json.resource.aws_iam_role[roleId].name).toBe("legacy-execution-role");
    });

    test("receive: exactly what the event source mapping needs, on the queue only", () => {
      const receive = synthForwarder().inlinePolicy("receive")!;
      expect(receive.resource.name).toBe("sqs-receive-message-policy");
      expect(receive.resource.policy).toBe(receive.documentReference);
      expect(receive.statements).toEqual([
        { actions: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources: [QUEUE_ARN] },
      ]);
    });

    test("quarantine: sqs:SendMessage to the quarantine queue, and nowhere else", () => {
      const { text, json, inlinePolicy } = synthForwarder();
      const quarantine = inlinePolicy("quarantine")!;
      expect(quarantine.resource.name).toBe("webhook-quarantine-policy");
      expect(quarantine.resource.policy).toBe(quarantine.documentReference);
      expect(quarantine.statements).toEqual([{ actions: ["sqs:SendMessage"], resources: [QUARANTINE_ARN] }]);
      expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "webhook-quarantine-policy" });
      const sendingStatements = Object.values(json.data.aws_iam_policy_document as Record<string, { statement: { actions: string[] }[] }>)
        .flatMap((document) => document.statement)
        .filter((statement) => statement.actions.includes("sqs:SendMessage"));
      expect(sendingStatements).toEqual([{ actions: ["sqs:SendMessage"], resources: [QUARANTINE_ARN] }]);
    });

    test("without secrets or routes to invoke: quarantine and receive only, held exclusive; no SSM, KMS, execute-api", () => {
      const { json, roleId, inlinePolicy } = synthForwarder();
      expect(inlinePolicy("secrets")).toBeUndefined();
      expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(2);
      expect(Object.values(json.resource.aws_iam_role_policies_exclusive)).toEqual([
        { role_name: `\${aws_iam_role.${roleId}.name}`, policy_names: [inlinePolicy("quarantine")!.reference, inlinePolicy("receive")!.reference] },
      ]);
      expect(JSON.stringify(json)).not.toMatch(/ssm:|kms:|execute-api:/);
    });

    test("without secrets, a KMS key adds nothing", () => {
      const { json, inlinePolicy } = synthForwarder({ secretsKmsKeyArn: KMS_KEY });
      expect(inlinePolicy("secrets")).toBeUndefined();
      expect(JSON.stringify(json)).not.toContain(KMS_KEY);
    });

    test("secrets: ssm:GetParameter on each named parameter once, sorted, as ARNs in this account and region", () => {
      const { inlinePolicy } = synthForwarder({ sources: SIGNED });
      const arn = (path: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${path}`;
      const secrets = inlinePolicy("secrets")!;
      expect(secrets.resource.name).toBe("webhook-secrets-policy");
      expect(secrets.resource.policy).toBe(secrets.documentReference);
      expect(secrets.statements).toEqual([
        {
          actions: ["ssm:GetParameter"],
          // Sorted by name: "/shop/signing" < "/webhooks/github/current" < "/webhooks/github/next" < "webhooks/stripe"
          resources: [arn("shop/signing"), arn("webhooks/github/current"), arn("webhooks/github/next"), arn("webhooks/stripe")],
        },
      ]);
    });

    test("secrets: a parameter named only by a target's signing secret counts too", () => {
      const { inlinePolicy } = synthForwarder({
        sources: {
          shop: {
            group: { static: "shop" },
            targets: { application: { url: "https://app.example.com/hook", signingSecretParameter: "shop/signing/key" } },
          },
        },
      });
      expect(inlinePolicy("secrets")!.statements).toEqual([
        { actions: ["ssm:GetParameter"], resources: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/shop/signing/key`] },
      ]);
    });

    test("secrets: with a customer-managed key, kms:Decrypt on that key only", () => {
      const statements = synthForwarder({ sources: SIGNED, secretsKmsKeyArn: KMS_KEY }).inlinePolicy("secrets")!.statements;
      expect(statements).toHaveLength(2);
      expect(statements[0].actions).toEqual(["ssm:GetParameter"]);
      expect(statements[1]).toEqual({ actions: ["kms:Decrypt"], resources: [KMS_KEY] });
    });

    test("secrets: without a key (the AWS managed key), no kms statement", () => {
      const statements = synthForwarder({ sources: SIGNED }).inlinePolicy("secrets")!.statements;
      expect(statements).toHaveLength(1);
      expect(JSON.stringify(statements)).not.toContain("kms:");
    });

    test("secrets: the secrets policy is held exclusive with the others, in order", () => {
      const { json, roleId, inlinePolicy } = synthForwarder({ sources: SIGNED });
      expect(Object.values(json.resource.aws_iam_role_policies_exclusive)).toEqual([
        {
          role_name: `\${aws_iam_role.${roleId}.name}`,
          policy_names: [inlinePolicy("quarantine")!.reference, inlinePolicy("secrets")!.reference, inlinePolicy("receive")!.reference],
        },
      ]);
      expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(3);
    });

    test("invoke: execute-api:Invoke on exactly the routes named, held exclusive with the others", () => {
      const route = "${data.aws_apigatewayv2_api.this.execution_arn}/$default/POST/application-hook";
      const { json, roleId, inlinePolicy } = synthForwarder({ invokeArns: [route] });
      const invoke = inlinePolicy("invoke")!;
      expect(invoke.resource.name).toBe("webhook-invoke-policy");
      expect(invoke.statements).toEqual([{ actions: ["execute-api:Invoke"], resources: [route] }]);
      expect(Object.values(json.resource.aws_iam_role_policies_exclusive)).toEqual([
        {
          role_name: `\${aws_iam_role.${roleId}.name}`,
          policy_names: [inlinePolicy("quarantine")!.reference, inlinePolicy("invoke")!.reference, inlinePolicy("receive")!.reference],
        },
      ]);
      expect(synthForwarder({ invokeArns: [] }).inlinePolicy("invoke")).toBeUndefined();
    });

    test("AWSLambdaBasicExecutionRole is attached (logs), and nothing else is", () => {
      const { text, json, roleId } = synthForwarder();
      const attachment = {
        role: `\${aws_iam_role.${roleId}.name}`,
        policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      };
      expect(text).toHaveResourceWithProperties(IamRolePolicyAttachment, attachment);
      expect(Object.values(json.resource.aws_iam_role_policy_attachment)).toEqual([attachment]);
      expect(text).toHaveResource(IamRolePoliciesExclusive);
    });
  });

  describe("the log group", () => {
    test("/aws/lambda/<functionName>, kept 7 days by default", () => {
      const { text, logGroup } = synthForwarder();
      expect(logGroup).toEqual({ name: "/aws/lambda/shop-forwarder", retention_in_days: 7 });
      expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/shop-forwarder", retention_in_days: 7 });
    });

    test("logRetentionInDays overrides the retention", () => {
      expect(synthForwarder({ logRetentionInDays: 30 }).logGroup.retention_in_days).toBe(30);
    });
  });

  describe("reserved concurrency", () => {
    test("by default the event source mapping's maximum concurrency, so the function can take all it hands over and nothing can starve it", () => {
      expect(synthForwarder().lambda.reserved_concurrent_executions).toBe(2);
      const withVariable = synthForwarder({ maxConcurrency: 50 });
      expect(withVariable.lambda.reserved_concurrent_executions).toBe(50);
      expect(withVariable.lambda.lifecycle).toBeUndefined();
    });

    test("set explicitly: a plan-time precondition that it is at least the maximum concurrency", () => {
      const { lambda } = synthForwarder({ reservedConcurrency: 20, maxConcurrency: 10 });
      expect(lambda.reserved_concurrent_executions).toBe(20);
      expect(lambda.lifecycle.precondition).toEqual([
        {
          condition: "${(20 >= 10)}",
          error_message: expect.stringContaining("forwarder.reservedConcurrency (20) is below the event source mapping's maximum concurrency"),
        },
      ]);
    });
  });

  describe("the event source mapping", () => {
    test("the queue into the function, one record at a time, partial batch responses, at most 2 concurrent by default", () => {
      const { text, mapping, construct } = synthForwarder();
      expect(mapping).toEqual({
        event_source_arn: QUEUE_ARN,
        function_name: `\${aws_lambda_function.${construct.function.friendlyUniqueId}.function_name}`,
        batch_size: 1,
        function_response_types: ["ReportBatchItemFailures"],
        scaling_config: { maximum_concurrency: 2 },
      });
      expect(text).toHaveResourceWithProperties(LambdaEventSourceMapping, { batch_size: 1, scaling_config: { maximum_concurrency: 2 } });
    });

    test("batchSize and maxConcurrency are props", () => {
      const { mapping } = synthForwarder({ batchSize: 10, maxConcurrency: 50 });
      expect(mapping).toMatchObject({ batch_size: 10, scaling_config: { maximum_concurrency: 50 } });
    });
  });

  test("creates exactly: role (3 documents, 2 policies, exclusive), attachment, log group, package, function, mapping", () => {
    const { json } = synthForwarder();
    const count = (blocks: Record<string, Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(blocks).map(([type, named]) => [type, Object.keys(named).length]));
    expect(count(json.resource)).toEqual({
      aws_cloudwatch_log_group: 1,
      aws_iam_role: 1,
      aws_iam_role_policies_exclusive: 1,
      aws_iam_role_policy: 2,
      aws_iam_role_policy_attachment: 1,
      aws_lambda_event_source_mapping: 1,
      aws_lambda_function: 1,
      aws_sqs_queue: 2,
    });
    expect(count(json.data)).toEqual({ archive_file: 1, aws_iam_policy_document: 3 });
  });

  test("exposes its parts under the construct IDs the stack's address map pins", () => {
    const { construct } = synthForwarder({ sources: SIGNED });
    expect(construct.executionRole.node.id).toBe("execution-role");
    expect(construct.logGroup.node.id).toBe("log-group");
    expect(construct.function.node.id).toBe("function");
    expect(construct.eventSourceMapping.node.id).toBe("event-source-mapping");
    expect(construct.node.findChild("basic-execution")).toBeInstanceOf(IamRolePolicyAttachment);
    expect(construct.node.findChild("package").node.findChild("archive")).toBeInstanceOf(DataArchiveFile);
    expect(Object.keys(construct.executionRole.inlinePolicies)).toEqual(["quarantine", "secrets", "receive"]);
  });
});
