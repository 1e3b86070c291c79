import { Testing } from "cdktf";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraformEnv } from "../src/terraform/cli-config";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { emulator } from "../src/environments";
import { WebhookQueueStack } from "../src/webhook-queue-stack";
import { addresses, synth, testApp } from "./support/synth";

/**
 * The Terraform addresses the ops team's existing state holds (the article's), plus the
 * ones this project adds. Renaming any of them makes Terraform destroy and recreate it:
 * a recreated queue loses its messages.
 */
const ARTICLE_ADDRESSES = [
  "aws_apigatewayv2_integration.webhook_event_producer",
  "aws_apigatewayv2_route.webhook_event_route",
  "aws_cloudwatch_log_group.webhook_event_producer",
  "aws_iam_role.webhook_event_producer_execution_role",
  "aws_iam_role.webhook_event_producer_role",
  "aws_iam_role_policies_exclusive.webhook_event_producer_execution_role_policies",
  "aws_iam_role_policies_exclusive.webhook_event_producer_role_policies",
  "aws_iam_role_policy.sqs_integration_access_policy",
  "aws_iam_role_policy.sqs_receive_message_policy",
  "aws_iam_role_policy_attachment.webhook_event_producer_basic_execution_role_attach",
  "aws_lambda_event_source_mapping.webhook_event_producer_mapping",
  "aws_lambda_function.webhook_event_producer",
  "aws_sqs_queue.webhook_dlq",
  "aws_sqs_queue.webhook_queue",
  "data.archive_file.webhook_event_producer",
  "data.aws_apigatewayv2_api.this",
  "data.aws_apigatewayv2_apis.this",
  "data.aws_iam_policy_document.apigateway_assume_role",
  "data.aws_iam_policy_document.lambda_assume_role_policy",
  "data.aws_iam_policy_document.sqs_receive_message_policy",
  "data.aws_iam_policy_document.sqs_send_only_policy",
];
const ADDED_ADDRESSES = [
  "aws_cloudwatch_metric_alarm.webhook_dlq_not_empty",
  "aws_cloudwatch_metric_alarm.webhook_queue_oldest_message",
  "aws_sns_topic.webhook_queue_alarms",
  "aws_sqs_queue_redrive_allow_policy.webhook_dlq",
];

describe("fixed Terraform addresses", () => {
  test("the article's stack has exactly the article's addresses plus the monitoring ones", () => {
    expect(addresses(synth().json)).toEqual([...ARTICLE_ADDRESSES, ...ADDED_ADDRESSES].sort());
  });

  test("zip packaging drops only data.archive_file; disabling monitoring drops only the additions", () => {
    const zip = addresses(synth({ forwarder: { packaging: "zip" } }).json);
    expect(zip).toEqual([...ARTICLE_ADDRESSES, ...ADDED_ADDRESSES].filter((a) => a !== "data.archive_file.webhook_event_producer").sort());
    const bare = addresses(synth({ monitoring: { enabled: false } }).json);
    expect(bare).toEqual([...ARTICLE_ADDRESSES, "aws_sqs_queue_redrive_allow_policy.webhook_dlq"].sort());
  });

  test("variables and outputs carry the article's names", () => {
    const { json } = synth();
    expect(Object.keys(json.variable).sort()).toEqual(["apigw_name", "log_retention_in_days", "webhook"]);
    expect(Object.keys(json.output).sort()).toEqual(["apigateway_endpoint", "apigateway_id", "dlq_arn", "dlq_url", "queue_arn", "queue_url"]);
  });
});

describe("the article's environment", () => {
  const { json, stack } = synth();

  test("provider: ap-northeast-1 with default tags, AWS provider 5.100.0", () => {
    expect(JSON.stringify(json)).toHaveProvider(AwsProvider);
    expect(json.provider.aws[0]).toEqual({
      region: "ap-northeast-1",
      default_tags: [{ tags: { Project: "mz", Environment: "dev", ManagedBy: "terraform" } }],
    });
    expect(json.terraform.required_providers.aws.version).toBe("5.100.0");
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
    const stack = new WebhookQueueStack(testApp(), emulator({ WEBHOOK_QUEUE_EMULATOR_ENDPOINT: "http://127.0.0.1:4999", WEBHOOK_QUEUE_EMULATOR_STATE: "/tmp/x.tfstate" }));
    const emulatorJson = JSON.parse(Testing.synth(stack));
    const endpoints = emulatorJson.provider.aws[0].endpoints[0];
    for (const service of ["apigatewayv2", "cloudwatch", "cloudwatchlogs", "iam", "lambda", "sns", "sqs", "sts"]) {
      expect(endpoints[service]).toBe("http://127.0.0.1:4999");
    }
    expect(emulatorJson.terraform.backend).toEqual({ local: { path: "/tmp/x.tfstate" } });
    expect(emulatorJson.provider.archive).toBeUndefined();
    expect(emulatorJson.variable.apigw_name.default).toBe("mz-dev-api");
  });
});

describe("Terraform variables, checked by terraform itself", () => {
  const work = mkdtempSync(join(tmpdir(), "variables-"));
  // Only the variable blocks (no provider, no backend): `terraform plan` evaluates them offline.
  writeFileSync(join(work, "variables.tf.json"), JSON.stringify({ variable: synth().json.variable, output: { webhook: { value: "${var.webhook}" } } }));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function plan(tfvars: string): { status: number | null; output: string } {
    writeFileSync(join(work, "terraform.tfvars"), tfvars);
    const result = spawnSync("terraform", ["plan", "-input=false", "-no-color", "-var-file=terraform.tfvars"], {
      cwd: work,
      env: terraformEnv(),
      encoding: "utf8",
    });
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\s+/g, " ") };
  }

  test("the article's tfvars (all webhook fields optional) keep working, with a Node.js runtime default", () => {
    const result = plan('apigw_name = "mz-dev-api"\nlog_retention_in_days = 14\nwebhook = { max_receive_count = 3 }\n');
    expect(result.output).toContain('runtime = "nodejs22.x"');
    expect(result.output).toContain("max_receive_count = 3");
    expect(result.output).toContain("dlq_retention_second = 345600");
    expect(result.status).toBe(0);
  });

  test.each([
    ['webhook = { runtime = "python3.13" }', "webhook.runtime must be a Node.js Lambda runtime, nodejs22.x or newer"],
    ["webhook = { max_receive_count = 0 }", "webhook.max_receive_count must be a whole number from 1 to 1000"],
    ['webhook = { log_level = "VERBOSE" }', "webhook.log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT"],
    ["webhook = { max_concurrency = 1 }", "webhook.max_concurrency must be a whole number from 2 to 1000"],
    ["webhook = { max_concurrency = 1001 }", "webhook.max_concurrency must be a whole number from 2 to 1000"],
    ["webhook = { dlq_retention_second = 59 }", "webhook.dlq_retention_second must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days)"],
    ["webhook = { dlq_retention_second = 1209601 }", "from 60 (1 minute) to 1209600 (14 days)"],
    ["log_retention_in_days = 8", "log_retention_in_days must be one of CloudWatch Logs' values"],
  ])("%s is rejected", (tfvars, message) => {
    const result = plan(`apigw_name = "mz-dev-api"\n${tfvars}\n`);
    expect(result.status).toBe(1);
    expect(result.output).toContain("Invalid value for variable");
    expect(result.output).toContain(message);
  });
});
