import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Fn, Op, Token } from "cdktf";
import { Construct } from "constructs";
import { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { DELIVERY_METRICS, FORWARDER_ENV, ForwarderSources, RetryPolicy } from "../../../lambda/forwarder/contract";
import { BUNDLE_HANDLER } from "../bundling/bundle";
import { LambdaPackaging } from "../settings";
import { LambdaPackage } from "./lambda-package";
import { ServiceRole } from "./service-role";

export interface ForwarderProps {
  readonly queue: SqsQueue;
  /** The queue's ARN as the receive policy names it (FifoQueue.queueArn). @default - the queue's `arn` attribute */
  readonly queueArn?: string;
  /** Where a webhook that fails verification is quarantined: the role may send there, and only there. */
  readonly quarantineQueue: SqsQueue;
  /**
   * Retries inside the queue: after a failed delivery the function hides the message for a backoff,
   * and dead-letters it itself once the budget is spent. @default - none (the article's way)
   */
  readonly retry?: {
    readonly policy: RetryPolicy;
    /** The DLQ: the role may send there (dead letters, and the webhooks held behind them). */
    readonly deadLetterQueue: SqsQueue;
    /** The queue's redrive maxReceiveCount (may be a Terraform expression). */
    readonly maxReceiveCount: number;
    /** The held groups: the role may read and update items there. @default - no holds */
    readonly heldGroupsTable?: DynamodbTable;
  };
  /** e.g. `mz-dev-webhook-event-producer` */
  readonly functionName: string;
  /** source -> its message groups, targets (absolute URLs; may hold Terraform references) and signature. */
  readonly sources: ForwarderSources;
  /** The account and region the stack deploys to (ARNs of the secrets, the role's trust). */
  readonly account: string;
  readonly region: string;
  /**
   * `execute-api` ARNs of the routes with IAM authorization the targets name: the role may invoke
   * these, and nothing else. @default [] (no such target)
   */
  readonly invokeArns?: readonly string[];
  /** A customer-managed KMS key the secrets are encrypted with. @default - the AWS managed key */
  readonly secretsKmsKeyArn?: string;
  /** @default `${functionName}-execution-role` */
  readonly executionRoleName?: string;
  /** @default "nodejs22.x" */
  readonly runtime?: string;
  /** @default 60 (the article's processing timeout) */
  readonly timeoutSeconds?: number;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /** POWERTOOLS_LOG_LEVEL. @default "INFO" */
  readonly logLevel?: string;
  /** @default 7 */
  readonly logRetentionInDays?: number;
  /** Records per invocation (FIFO: 1..10). @default 1 */
  readonly batchSize?: number;
  /** The event source's maximum concurrency. @default 2 */
  readonly maxConcurrency?: number;
  /**
   * Concurrency kept for the forwarder alone, so that no other function of the account (a flood on
   * a public route) can starve it; at least `maxConcurrency` (a plan-time precondition says so).
   * @default maxConcurrency
   */
  readonly reservedConcurrency?: number;
  /** Per-request timeout towards a target. @default - the forwarder's own rule (lambda/forwarder/timeout.ts) */
  readonly forwardTimeoutMs?: number;
  /** @default "archive_file" */
  readonly packaging?: LambdaPackaging;
}

/**
 * The Lambda that takes each message off the queue and POSTs it to the application's
 * webhook, with its log group, its execution role and the SQS event source mapping.
 */
export class Forwarder extends Construct {
  public readonly executionRole: ServiceRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly function: LambdaFunction;
  public readonly eventSourceMapping: LambdaEventSourceMapping;
  /** What the function's SOURCES variable holds (Terraform references as tokens). */
  public readonly sources: ForwarderSources;

  constructor(scope: Construct, id: string, props: ForwarderProps) {
    super(scope, id);
    this.sources = props.sources;
    const secretStatements = this.secretsStatements(props);
    const invokeArns = props.invokeArns ?? [];
    this.executionRole = new ServiceRole(this, "execution-role", {
      servicePrincipal: "lambda.amazonaws.com",
      roleName: props.executionRoleName ?? `${props.functionName}-execution-role`,
      trustedSource: { account: props.account, arn: `arn:aws:lambda:${props.region}:${props.account}:function:${props.functionName}` },
      inlinePolicies: {
        // Quarantine: SendMessage to the quarantine queue and nowhere else.
        quarantine: { name: "webhook-quarantine-policy", statements: [{ actions: ["sqs:SendMessage"], resources: [props.quarantineQueue.arn] }] },
        ...(secretStatements.length > 0 && { secrets: { name: "webhook-secrets-policy", statements: secretStatements } }),
        // Retries inside the queue: dead letters to the DLQ, holds in the table; nothing else.
        ...(props.retry && { retry: { name: "webhook-retry-policy", statements: retryStatements(props.retry) } }),
        // The stack's own routes with IAM authorization (the dummy application's), exactly those.
        ...(invokeArns.length > 0 && {
          invoke: { name: "webhook-invoke-policy", statements: [{ actions: ["execute-api:Invoke"], resources: [...invokeArns] }] },
        }),
        // What the event source mapping does on the function's behalf; the code itself never calls SQS.
        receive: {
          name: "sqs-receive-message-policy",
          statements: [
            {
              actions: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
              resources: [props.queueArn ?? props.queue.arn],
            },
          ],
        },
      },
    });

    const basicExecution = new IamRolePolicyAttachment(this, "basic-execution", {
      role: this.executionRole.role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    });

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionInDays ?? 7,
    });

    const maxConcurrency = props.maxConcurrency ?? 2;
    const code = new LambdaPackage(this, "package", { lambda: "forwarder", packaging: props.packaging, zipName: `${props.functionName}.zip` });
    this.function = new LambdaFunction(this, "function", {
      description: "Webhook Event Producer",
      functionName: props.functionName,
      handler: BUNDLE_HANDLER,
      filename: code.filename,
      sourceCodeHash: code.sourceCodeHash,
      role: this.executionRole.role.arn,
      runtime: props.runtime ?? "nodejs22.x",
      architectures: ["arm64"],
      timeout: props.timeoutSeconds ?? 60,
      memorySize: props.memorySizeMb ?? 128,
      reservedConcurrentExecutions: props.reservedConcurrency ?? maxConcurrency,
      environment: {
        variables: {
          [FORWARDER_ENV.queueUrl]: props.queue.url,
          [FORWARDER_ENV.quarantineQueueUrl]: props.quarantineQueue.url,
          [FORWARDER_ENV.sources]: Fn.jsonencode(props.sources),
          ...(props.forwardTimeoutMs !== undefined && { [FORWARDER_ENV.forwardTimeoutMs]: String(props.forwardTimeoutMs) }),
          ...(props.retry && {
            [FORWARDER_ENV.retryPolicy]: JSON.stringify(props.retry.policy),
            [FORWARDER_ENV.deadLetterQueueUrl]: props.retry.deadLetterQueue.url,
            [FORWARDER_ENV.maxReceiveCount]: Token.asString(props.retry.maxReceiveCount),
            ...(props.retry.heldGroupsTable && { [FORWARDER_ENV.heldGroupsTable]: props.retry.heldGroupsTable.name }),
          }),
          [FORWARDER_ENV.logLevel]: props.logLevel ?? "INFO",
          [FORWARDER_ENV.serviceName]: props.functionName,
          [FORWARDER_ENV.metricsNamespace]: DELIVERY_METRICS.namespace,
        },
      },
      // The log group must exist first, or Lambda creates one with no retention.
      dependsOn: [basicExecution, this.logGroup],
      ...(props.reservedConcurrency !== undefined && {
        lifecycle: {
          precondition: [
            {
              condition: Op.gte(props.reservedConcurrency, maxConcurrency),
              errorMessage: `forwarder.reservedConcurrency (${props.reservedConcurrency}) is below the event source mapping's maximum concurrency (var.webhook.max_concurrency): Lambda would throttle the webhooks it hands over. Raise it, or lower max_concurrency.`,
            },
          ],
        },
      }),
    });

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "event-source-mapping", {
      eventSourceArn: props.queue.arn,
      functionName: this.function.functionName,
      batchSize: props.batchSize ?? 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: maxConcurrency },
    });
  }

  /** Reading the secrets the sources name (verification and signing), decrypted: those parameters only. */
  private secretsStatements(props: ForwarderProps): DataAwsIamPolicyDocumentStatement[] {
    const parameters = [
      ...new Set(
        Object.values(props.sources).flatMap((source) => [
          ...(source.signature?.secretParameters ?? []),
          ...Object.values(source.targets).flatMap((target) => (target.signingSecretParameter ? [target.signingSecretParameter] : [])),
        ]),
      ),
    ].sort();
    if (parameters.length === 0) return [];
    const arn = (name: string) => `arn:aws:ssm:${props.region}:${props.account}:parameter/${name.replace(/^\//, "")}`;
    return [
      { actions: ["ssm:GetParameter"], resources: parameters.map(arn) },
      ...(props.secretsKmsKeyArn ? [{ actions: ["kms:Decrypt"], resources: [props.secretsKmsKeyArn] }] : []),
    ];
  }
}

function retryStatements(retry: NonNullable<ForwarderProps["retry"]>): DataAwsIamPolicyDocumentStatement[] {
  return [
    { actions: ["sqs:SendMessage"], resources: [retry.deadLetterQueue.arn] },
    ...(retry.heldGroupsTable ? [{ actions: ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"], resources: [retry.heldGroupsTable.arn] }] : []),
  ];
}
