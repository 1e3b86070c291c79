import { Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { emulator } from "../../src/infrastructure/environments";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";
import { STACK_ADDRESSES } from "../../src/infrastructure/addresses";
import { addresses, synth, testApp } from "../support/synth";
import {
  ADDED_ADDRESSES,
  APPLICATION_DATA_ADDRESSES,
  APPLICATION_MODULE_ADDRESSES,
  ARTICLE_ADDRESSES,
  INVOKE_ADDRESSES,
  QUARANTINE_ADDRESSES,
  RETRY_ADDRESSES,
  SECRETS_ADDRESSES,
} from "../support/fixed-addresses";

const SIGNED_SOURCE = {
  signature: { scheme: "github" as const, secretParameters: ["/webhooks/github/secret"] },
  messageGroup: "$request.body.repository.id",
};

describe("fixed Terraform addresses", () => {
  const everything = [
    ...ARTICLE_ADDRESSES,
    ...APPLICATION_MODULE_ADDRESSES,
    ...APPLICATION_DATA_ADDRESSES,
    ...ADDED_ADDRESSES,
    ...QUARANTINE_ADDRESSES,
    ...INVOKE_ADDRESSES,
    ...RETRY_ADDRESSES,
  ];

  test("the article's stack has exactly the article's addresses, the application's, and the monitoring ones", () => {
    expect(addresses(synth().json)).toEqual([...everything].sort());
  });

  test("zip packaging drops only the data.archive_file blocks; disabling monitoring drops only the additions", () => {
    const zip = addresses(synth({ packaging: "zip" }).json);
    expect(zip).toEqual(everything.filter((a) => !a.startsWith("data.archive_file.")).sort());
    const bare = addresses(synth({ monitoring: { enabled: false } }).json);
    expect(bare).toEqual(everything.filter((a) => !ADDED_ADDRESSES.includes(a) || a === "aws_sqs_queue_redrive_allow_policy.webhook_dlq").sort());
  });

  test("retry: false (the article's way) drops the held-groups table and the retry policy, and nothing else", () => {
    expect(addresses(synth({ forwarder: { retry: false } }).json)).toEqual(everything.filter((a) => !RETRY_ADDRESSES.includes(a)).sort());
  });

  test("with retries, SQS's maxReceiveCount is a backstop above the budget's receives; the variable stays a floor", () => {
    const redrive = (json: ReturnType<typeof synth>["json"]) => json.resource.aws_sqs_queue.webhook_queue.redrive_policy;
    expect(redrive(synth().json)).toBe(
      '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.webhook_dlq.arn, "maxReceiveCount" = max(var.webhook.max_receive_count, 70)})}',
    );
    expect(synth().json.resource.aws_lambda_function.webhook_event_producer.environment.variables.MAX_RECEIVE_COUNT).toBe(
      "${max(var.webhook.max_receive_count, 70)}",
    );
    expect(redrive(synth({ forwarder: { retry: false } }).json)).toBe(
      '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.webhook_dlq.arn, "maxReceiveCount" = var.webhook.max_receive_count})}',
    );
  });

  test("each of the application module's 9 resources is moved to the root module under its own name, and nothing else moves", () => {
    const { json } = synth();
    expect(json.moved).toEqual(
      expect.arrayContaining(APPLICATION_MODULE_ADDRESSES.map((address) => ({ from: `module.webhook_application.${address}`, to: address }))),
    );
    expect(json.moved).toHaveLength(9);
  });

  test("with the dummy application off, its addresses and moves are gone and the rest stays", () => {
    const { json } = synth({ application: { enabled: false }, forwarder: { externallyServedPaths: ["/application-hook"] } });
    expect(addresses(json)).toEqual(
      everything
        .filter((a) => !APPLICATION_MODULE_ADDRESSES.includes(a) && !APPLICATION_DATA_ADDRESSES.includes(a) && !INVOKE_ADDRESSES.includes(a))
        .sort(),
    );
    expect(json.moved).toBeUndefined();
  });

  test("every entry of the address map names an element of the mz-dev stack with a signed source (no typo goes unnoticed)", () => {
    const { stack } = synth({ monitoring: { alarmEmails: ["ops@example.com"] }, sources: { default: {}, github: SIGNED_SOURCE } });
    const paths = new Set(stack.node.findAll().map((element) => element.node.path.slice(stack.node.path.length + 1)));
    const mapped = Object.keys(STACK_ADDRESSES).map((path) => path.replace(/^source-<default>\//, "source-default/"));
    expect(mapped.filter((path) => !paths.has(path))).toEqual([]);
  });

  test("a signed source adds its route and integration under its own names, and the secrets policy; the article's stay", () => {
    const { json } = synth({ sources: { default: {}, github: SIGNED_SOURCE } });
    expect(addresses(json)).toEqual(
      [
        ...everything,
        ...SECRETS_ADDRESSES,
        "aws_apigatewayv2_integration.webhook_source_github_integration",
        "aws_apigatewayv2_route.webhook_source_github_route",
        "aws_cloudwatch_metric_alarm.webhook_source_github_failure_rate",
      ].sort(),
    );
  });

  test("another default source takes the article's route and integration addresses (its route key is the article's)", () => {
    const { json } = synth({ sources: { stripe: {} }, defaultSource: "stripe" });
    expect(json.resource.aws_apigatewayv2_route.webhook_event_route.route_key).toBe("POST /sqs-hook");
    expect(addresses(json).filter((a) => /webhook_source_.*_(route|integration)$/.test(a))).toEqual([]);
  });

  test("variables and outputs carry the article's names", () => {
    const { json } = synth();
    expect(Object.keys(json.variable).sort()).toEqual(["apigw_name", "log_retention_in_days", "webhook"]);
    expect(Object.keys(json.output).sort()).toEqual([
      "apigateway_endpoint",
      "apigateway_id",
      "dlq_arn",
      "dlq_url",
      "held_groups_table",
      "quarantine_arn",
      "quarantine_url",
      "queue_arn",
      "queue_url",
      "webhook_sources",
    ]);
  });
});

describe("the article's environment", () => {
  const { json, stack } = synth();

  test("provider: ap-northeast-1 with default tags, on the aws 6.x line", () => {
    expect(JSON.stringify(json)).toHaveProvider(AwsProvider);
    expect(json.provider.aws[0]).toEqual({
      region: "ap-northeast-1",
      // The article's repository's tags: adopting its state changes none.
      default_tags: [{ tags: { Owner: "mamezou", Environment: "mz-dev-site", SystemName: "Mamezou Developer Site Example System" } }],
    });
    expect(json.terraform.required_providers.aws.version).toBe(">= 6.12.0, < 7.0.0");
  });

  test("remote state: the S3 backend with encryption and locking", () => {
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: "mz-dev-terraform-state",
        key: "webhook-event-queue/terraform.tfstate",
        region: "ap-northeast-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  test("outputs point at the queues and the existing API", () => {
    expect(json.output.queue_url.value).toBe("${aws_sqs_queue.webhook_queue.url}");
    expect(json.output.queue_arn.value).toBe("${aws_sqs_queue.webhook_queue.arn}");
    expect(json.output.dlq_url.value).toBe("${aws_sqs_queue.webhook_dlq.url}");
    expect(json.output.dlq_arn.value).toBe("${aws_sqs_queue.webhook_dlq.arn}");
    expect(json.output.apigateway_endpoint.value).toBe("${data.aws_apigatewayv2_api.this.api_endpoint}");
    expect(json.output.apigateway_id.value).toBe("${data.aws_apigatewayv2_api.this.id}");
  });

  test("settings warnings reach cdktf's annotations", () => {
    const warnings = stack.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining("visibilityTimeoutSeconds = 60 is below six times the function timeout (360)")]);
  });

  test("the emulator environment points every service at the emulator and keeps state locally", () => {
    const stack = new WebhookQueueStack(
      testApp(),
      emulator({ WEBHOOK_QUEUE_EMULATOR_ENDPOINT: "http://127.0.0.1:4999", WEBHOOK_QUEUE_EMULATOR_STATE: "/tmp/x.tfstate" }),
    );
    const emulatorJson = JSON.parse(Testing.synth(stack));
    const endpoints = emulatorJson.provider.aws[0].endpoints[0];
    // Every AWS service a resource or data source of the stack calls: one left out would be called on AWS itself.
    const serviceOf: [RegExp, string][] = [
      [/^aws_apigatewayv2_/, "apigatewayv2"],
      [/^aws_cloudwatch_log_/, "cloudwatchlogs"],
      [/^aws_cloudwatch_(metric_|dashboard$)/, "cloudwatch"],
      [/^aws_dynamodb_/, "dynamodb"],
      [/^aws_iam_(?!policy_document)/, "iam"],
      [/^aws_lambda_/, "lambda"],
      [/^aws_sns_/, "sns"],
      [/^aws_sqs_/, "sqs"],
      [/^aws_caller_identity$/, "sts"],
    ];
    const types = [...Object.keys(emulatorJson.resource), ...Object.keys(emulatorJson.data)].filter(
      (type) => type.startsWith("aws_") && type !== "aws_iam_policy_document",
    );
    for (const type of types) {
      const service = serviceOf.find(([pattern]) => pattern.test(type))?.[1];
      expect([type, service && endpoints[service]]).toEqual([type, "http://127.0.0.1:4999"]);
    }
    expect(types).toEqual(expect.arrayContaining(["aws_dynamodb_table", "aws_sqs_queue", "aws_caller_identity"]));
    expect(emulatorJson.terraform.backend).toEqual({ local: { path: "/tmp/x.tfstate" } });
    expect(emulatorJson.provider.archive).toBeUndefined();
    expect(emulatorJson.variable.apigw_name.default).toBe("mz-dev-api");
  });
});
