import { DataArchiveFile } from "@cdktf/provider-archive/lib/data-archive-file";
import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { synth } from "../support/synth";

describe("Forwarder: Lambda + log group + execution role + event source mapping", () => {
  const { text, json } = synth();

  test("aws_lambda_function.webhook_event_producer: the article's function, running the Node.js bundle", () => {
    expect(text).toHaveResourceWithProperties(LambdaFunction, {
      description: "Webhook Event Producer",
      function_name: "mz-dev-webhook-event-producer",
      handler: "index.handler",
      filename: "${data.archive_file.webhook_event_producer.output_path}",
      source_code_hash: "${data.archive_file.webhook_event_producer.output_base64sha256}",
      role: "${aws_iam_role.webhook_event_producer_execution_role.arn}",
      runtime: "${var.webhook.runtime}",
      architectures: ["arm64"],
      timeout: 60,
      depends_on: [
        "aws_iam_role_policy_attachment.webhook_event_producer_basic_execution_role_attach",
        "aws_cloudwatch_log_group.webhook_event_producer",
      ],
    });
  });

  test("its environment: QUEUE_URL, ROUTES to the application hook, timeout and log level", () => {
    expect(json.resource.aws_lambda_function.webhook_event_producer.environment.variables).toEqual({
      QUEUE_URL: "${aws_sqs_queue.webhook_queue.url}",
      ROUTES: '${jsonencode({"mz-dev-sqs-webhook" = {"application" = "${data.aws_apigatewayv2_api.this.api_endpoint}/application-hook"}})}',
      FORWARD_TIMEOUT_MS: "55000",
      POWERTOOLS_LOG_LEVEL: "${var.webhook.log_level}",
      POWERTOOLS_SERVICE_NAME: "mz-dev-webhook-event-producer",
    });
  });

  test("data.archive_file.webhook_event_producer zips the esbuild bundle, as the article packages its code", () => {
    expect(text).toHaveProvider(ArchiveProvider);
    expect(text).toHaveDataSourceWithProperties(DataArchiveFile, {
      type: "zip",
      source_file: expect.stringMatching(/^assets\/.+\/index\.js$/),
      output_path: "dist/mz-dev-webhook-event-producer.zip",
    });
  });

  test("zip packaging: filename + source_code_hash written at synth, no archive provider", () => {
    const zip = synth({ forwarder: { packaging: "zip" } });
    expect(zip.text).not.toHaveProvider(ArchiveProvider);
    const lambda = zip.json.resource.aws_lambda_function.webhook_event_producer;
    expect(lambda.filename).toMatch(/^assets\/.+\/mz-dev-webhook-event-producer\.zip$/);
    expect(lambda.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  test("aws_lambda_event_source_mapping.webhook_event_producer_mapping: batch 1, partial batch responses, max concurrency", () => {
    expect(text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: "${aws_sqs_queue.webhook_queue.arn}",
      function_name: "${aws_lambda_function.webhook_event_producer.function_name}",
      batch_size: 1,
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: "${var.webhook.max_concurrency}" },
    });
  });

  test("aws_cloudwatch_log_group.webhook_event_producer: the function's log group with var.log_retention_in_days", () => {
    expect(text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/mz-dev-webhook-event-producer",
      retention_in_days: "${var.log_retention_in_days}",
    });
  });

  test("execution role: Lambda trust, receive-only inline policy held exclusive, basic execution attached", () => {
    expect(json.data.aws_iam_policy_document.lambda_assume_role_policy.statement).toEqual([
      { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
    ]);
    expect(json.data.aws_iam_policy_document.sqs_receive_message_policy.statement).toEqual([
      {
        actions: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resources: ["${aws_sqs_queue.webhook_queue.arn}"],
      },
    ]);
    expect(text).toHaveResourceWithProperties(IamRole, {
      name: "mz-dev-webhook-event-producer-execution-role",
      assume_role_policy: "${data.aws_iam_policy_document.lambda_assume_role_policy.json}",
    });
    expect(text).toHaveResourceWithProperties(IamRolePolicy, {
      name: "sqs-receive-message-policy",
      role: "${aws_iam_role.webhook_event_producer_execution_role.id}",
      policy: "${data.aws_iam_policy_document.sqs_receive_message_policy.json}",
    });
    expect(text).toHaveResourceWithProperties(IamRolePoliciesExclusive, {
      role_name: "${aws_iam_role.webhook_event_producer_execution_role.name}",
      policy_names: ["${aws_iam_role_policy.sqs_receive_message_policy.name}"],
    });
    expect(text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      role: "${aws_iam_role.webhook_event_producer_execution_role.name}",
      policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    });
  });

  test("batch size, routes and timeouts come from settings", () => {
    const tuned = synth({
      functionTimeoutSeconds: 30,
      visibilityTimeoutSeconds: 180,
      forwarder: { batchSize: 10, routes: { "saas-approvals": { app: "https://app.example.com/hook", audit: "/audit-hook" } } },
    }).json.resource;
    expect(tuned.aws_lambda_event_source_mapping.webhook_event_producer_mapping.batch_size).toBe(10);
    const lambda = tuned.aws_lambda_function.webhook_event_producer;
    expect(lambda.timeout).toBe(30);
    expect(lambda.environment.variables.FORWARD_TIMEOUT_MS).toBe("2500");
    expect(lambda.environment.variables.ROUTES).toBe(
      '${jsonencode({"saas-approvals" = {"app" = "https://app.example.com/hook", "audit" = "${data.aws_apigatewayv2_api.this.api_endpoint}/audit-hook"}})}',
    );
  });
});
