import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { FORWARDER_HANDLER } from "../forwarder/bundle";
import { ForwarderPackaging } from "../settings";
import { ForwarderPackage } from "./forwarder-package";
import { ServiceRole } from "./service-role";

export interface ForwarderProps {
  readonly queue: SqsQueue;
  /** e.g. `mz-dev-webhook-event-producer` */
  readonly functionName: string;
  /** e.g. `mz-dev-webhook-event-producer-execution-role` */
  readonly executionRoleName: string;
  /** `var.webhook.runtime` */
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** `var.webhook.log_level` */
  readonly logLevel: string;
  /** `var.log_retention_in_days` */
  readonly logRetentionInDays: number;
  /** Records per invocation (FIFO: 1..10). */
  readonly batchSize: number;
  /** `var.webhook.max_concurrency` */
  readonly maxConcurrency: number;
  /** message group ID -> { target name -> absolute URL }; may hold Terraform references. */
  readonly routes: Record<string, Record<string, string>>;
  readonly forwardTimeoutMs: number;
  readonly packaging: ForwarderPackaging;
}

/**
 * The Lambda that takes each message off the queue and POSTs it to the application's
 * webhook, with its log group, its execution role and the SQS event source mapping.
 */
export class Forwarder extends Construct {
  public readonly executionRole: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly function: LambdaFunction;
  public readonly eventSourceMapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: ForwarderProps) {
    super(scope, id);
    const execution = new ServiceRole(this, "execution-role", {
      servicePrincipal: "lambda.amazonaws.com",
      roleName: props.executionRoleName,
      inlinePolicyName: "sqs-receive-message-policy",
      // What the event source mapping does on the function's behalf; the code itself never calls SQS.
      statements: [
        {
          actions: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          resources: [props.queue.arn],
        },
      ],
      addresses: {
        assumeRolePolicy: "lambda_assume_role_policy",
        permissionsPolicy: "sqs_receive_message_policy",
        role: "webhook_event_producer_execution_role",
        inlinePolicy: "sqs_receive_message_policy",
        exclusivePolicies: "webhook_event_producer_execution_role_policies",
      },
    });
    this.executionRole = execution.role;

    const basicExecution = new IamRolePolicyAttachment(this, "basic-execution", {
      role: this.executionRole.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    });
    basicExecution.overrideLogicalId("webhook_event_producer_basic_execution_role_attach"); // state address: aws_iam_role_policy_attachment.webhook_event_producer_basic_execution_role_attach

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionInDays,
    });
    this.logGroup.overrideLogicalId("webhook_event_producer"); // state address: aws_cloudwatch_log_group.webhook_event_producer

    const code = new ForwarderPackage(this, "package", { packaging: props.packaging, zipName: `${props.functionName}.zip` });

    this.function = new LambdaFunction(this, "function", {
      description: "Webhook Event Producer",
      functionName: props.functionName,
      handler: FORWARDER_HANDLER,
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      role: this.executionRole.arn,
      runtime: props.runtime,
      architectures: ["arm64"],
      timeout: props.timeoutSeconds,
      memorySize: props.memorySizeMb,
      environment: {
        variables: {
          QUEUE_URL: props.queue.url,
          ROUTES: Fn.jsonencode(props.routes),
          FORWARD_TIMEOUT_MS: String(props.forwardTimeoutMs),
          POWERTOOLS_LOG_LEVEL: props.logLevel,
          POWERTOOLS_SERVICE_NAME: props.functionName,
        },
      },
      // The log group must exist first, or Lambda creates one with no retention.
      dependsOn: [basicExecution, this.logGroup],
    });
    this.function.overrideLogicalId("webhook_event_producer"); // state address: aws_lambda_function.webhook_event_producer

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "event-source-mapping", {
      eventSourceArn: props.queue.arn,
      functionName: this.function.functionName,
      batchSize: props.batchSize,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: props.maxConcurrency },
    });
    this.eventSourceMapping.overrideLogicalId("webhook_event_producer_mapping"); // state address: aws_lambda_event_source_mapping.webhook_event_producer_mapping
  }
}
