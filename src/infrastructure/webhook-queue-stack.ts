import { ArchiveProvider } from "@cdktf/provider-archive/lib/provider";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Annotations, Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack, TerraformElement, TerraformVariable, Token, ref } from "cdktf";
import { Construct, Node } from "constructs";
import { resolve } from "node:path";
import { ExistingHttpApi } from "./constructs/existing-http-api";
import { FifoQueue } from "./constructs/fifo-queue";
import { Forwarder } from "./constructs/forwarder";
import { QueueAlarms } from "./constructs/queue-alarms";
import { QueueIngress } from "./constructs/queue-ingress";
import { ServiceRole } from "./constructs/service-role";
import { ForwarderSources, SignatureConfig } from "../../lambda/forwarder/contract";
import { signatureHeaders } from "../../lambda/forwarder/signatures";
import { QuarantineQueue } from "./constructs/quarantine-queue";
import { routeInvokeArn, WebhookApplication } from "./constructs/webhook-application";
import { HeldGroupsTable } from "./constructs/held-groups-table";
import { DeliveryDashboard } from "./constructs/delivery-dashboard";
import { backstopReceiveCount } from "../../lambda/forwarder/contract";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { addMovedBlocks, pathInStack, pinnedName } from "./addresses";
import {
  DEFAULT_SOURCE,
  groupRuleOf,
  isApplicationRouteTarget,
  ResolvedSettings,
  WebhookQueueSettings,
  resolveSettings,
  routeKeyPath,
} from "./settings";
import { PROJECT_ROOT } from "../project";
import { TERRAFORM_REQUIRED_VERSION } from "./provider-lines";
import { renderTerraformAttributes, SingleFormatSynthesizer, unquoteDependsOn } from "./synthesis";

/** The article's `var.webhook` object; every field optional with the article's default, bar the runtime. */
export const WEBHOOK_VARIABLE_TYPE = `object({
    runtime              = optional(string, "nodejs22.x")
    max_receive_count    = optional(number, 1)
    log_level            = optional(string, "INFO")
    max_concurrency      = optional(number, 2)
    dlq_retention_second = optional(number, 345600)
  })`;

/** A validation condition: Terraform's JSON syntax reads expressions only inside `${...}`. */
const tf = (expression: string) => `\${${expression}}`;

/** Retention values CloudWatch Logs accepts (0 = never expire). */
export const LOG_RETENTION_DAYS = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * API Gateway route -> SQS FIFO queue (+ DLQ) -> Lambda forwarder -> the application's
 * webhook, with the article's Terraform addresses and physical names.
 */
export class WebhookQueueStack extends TerraformStack {
  public readonly settings: ResolvedSettings;
  public readonly existingApi: ExistingHttpApi;
  public readonly queues: FifoQueue;
  public readonly quarantine: QuarantineQueue;
  /** The held message groups; absent without retries inside the queue (`forwarder.retry: false`). */
  public readonly heldGroups?: HeldGroupsTable;
  public readonly ingressRole: ServiceRole;
  /** By source name. */
  public readonly ingress: Readonly<Record<string, QueueIngress>>;
  public readonly forwarder: Forwarder;
  public readonly application?: WebhookApplication;
  public readonly alarms?: QueueAlarms;
  public readonly dashboard?: DeliveryDashboard;

  constructor(scope: Construct, settings: WebhookQueueSettings) {
    const resolved = resolveSettings(settings);
    super(scope, resolved.stackName);
    this.settings = resolved;
    this.synthesizer = new SingleFormatSynthesizer(this, this.synthesizer);
    const { prefix } = resolved;
    for (const warning of resolved.warnings) Annotations.of(this).addWarning(warning);

    this.configureBackend(resolved);
    this.configureProviders(resolved);
    const variables = this.declareVariables(resolved);
    const webhook = (field: string) => ref(`var.webhook.${field}`, this);

    this.existingApi = new ExistingHttpApi(this, "existing-http-api", { name: variables.apigwName.stringValue });
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    // The provider's region, known here: data.aws_region's `name` is deprecated from aws 6.0, and 5.100 has no `region`.
    const region = resolved.region;

    const retry = resolved.forwarder.retry;
    // With retries inside the queue the forwarder dead-letters by its budget; SQS's count is a backstop above it.
    const maxReceiveCount = retry
      ? Fn.max([Token.asNumber(webhook("max_receive_count")), backstopReceiveCount(retry)])
      : Token.asNumber(webhook("max_receive_count"));
    this.queues = new FifoQueue(this, "queues", {
      queueName: `${prefix}-webhook-queue`,
      visibilityTimeoutSeconds: resolved.visibilityTimeoutSeconds,
      maxMessageSizeBytes: resolved.maxMessageSizeBytes,
      maxReceiveCount,
      deadLetterRetentionSeconds: Token.asNumber(webhook("dlq_retention_second")),
      preventDestroy: resolved.preventQueueDestroy,
      highThroughput: resolved.queue.highThroughput,
      account,
      region,
    });
    if (retry) {
      this.heldGroups = new HeldGroupsTable(this, "held-groups", {
        tableName: `${prefix}-webhook-held-groups`,
        preventDestroy: resolved.preventQueueDestroy,
      });
    }
    this.quarantine = new QuarantineQueue(this, "quarantine", {
      queueName: `${prefix}-webhook-quarantine`,
      retentionSeconds: resolved.quarantine.retentionSeconds,
      maxMessageSizeBytes: resolved.maxMessageSizeBytes,
      preventDestroy: resolved.preventQueueDestroy,
    });

    // One role for every source's route: API Gateway may only send to the queue.
    this.ingressRole = new ServiceRole(this, "ingress-role", {
      servicePrincipal: "apigateway.amazonaws.com",
      roleName: `${prefix}-webhook-event-producer-role`,
      trustedSource: { account, arn: `${this.existingApi.api.executionArn}/*` },
      inlinePolicies: {
        send: { name: "sqs-integration-access-policy", statements: [{ actions: ["sqs:SendMessage"], resources: [this.queues.queueArn] }] },
      },
    });
    const sources = Object.values(resolved.sources);
    this.ingress = Object.fromEntries(
      sources.map((source) => [
        source.name,
        new QueueIngress(this, `source-${source.name}`, {
          apiId: this.existingApi.api.id,
          queue: this.queues.queue,
          credentialsRoleArn: this.ingressRole.role.arn,
          sourceName: source.name,
          routeKey: source.routeKey,
          messageGroup: source.messageGroup,
          deduplicationId: source.deduplicationId,
          signatureHeaders: source.signature ? signatureHeaders(source.signature) : [],
        }),
      ]),
    );

    const apiEndpoint = this.existingApi.api.apiEndpoint;
    const functionName = `${prefix}-webhook-event-producer`;
    // The stack's own route that requires IAM: its targets are signed with the forwarder's role.
    const application = resolved.application;
    const applicationRouteKey = application.enabled ? application.routeKey : undefined;
    const invokeArns = application.enabled ? [routeInvokeArn(this.existingApi.api.executionArn, application.routeKey)] : [];
    const forwarderSources: ForwarderSources = Object.fromEntries(
      sources.map((source) => [
        source.name,
        {
          group: groupRuleOf(source),
          targets: Object.fromEntries(
            Object.entries(source.targets).map(([name, target]) => [
              name,
              target.url.startsWith("/")
                ? {
                    ...target,
                    url: `${apiEndpoint}${target.url}`,
                    ...(isApplicationRouteTarget(target.url, applicationRouteKey) && { awsIam: true }),
                  }
                : target,
            ]),
          ),
          ...(source.signature && { signature: source.signature }),
        },
      ]),
    );
    this.forwarder = new Forwarder(this, "forwarder", {
      queue: this.queues.queue,
      queueArn: this.queues.queueArn,
      quarantineQueue: this.quarantine.queue,
      ...(retry && {
        retry: { policy: retry, deadLetterQueue: this.queues.deadLetterQueue, maxReceiveCount, heldGroupsTable: this.heldGroups?.table },
      }),
      functionName,
      executionRoleName: `${prefix}-webhook-event-producer-execution-role`,
      account,
      region,
      invokeArns,
      runtime: Token.asString(webhook("runtime")),
      timeoutSeconds: resolved.functionTimeoutSeconds,
      memorySizeMb: resolved.forwarder.memorySizeMb,
      logLevel: Token.asString(webhook("log_level")),
      logRetentionInDays: variables.logRetentionInDays.numberValue,
      batchSize: resolved.forwarder.batchSize,
      maxConcurrency: Token.asNumber(webhook("max_concurrency")),
      reservedConcurrency: resolved.forwarder.reservedConcurrency,
      sources: forwarderSources,
      secretsKmsKeyArn: resolved.forwarder.secretsKmsKeyArn,
      forwardTimeoutMs: resolved.forwarder.forwardTimeoutMs,
      packaging: resolved.packaging,
    });

    if (resolved.application.enabled) {
      this.application = new WebhookApplication(this, "application", {
        apiId: this.existingApi.api.id,
        apiExecutionArn: this.existingApi.api.executionArn,
        functionName: `${prefix}-webhook-application`,
        routeKey: resolved.application.routeKey,
        timeoutSeconds: resolved.application.timeoutSeconds,
        logLevel: resolved.application.logLevel,
        logRetentionInDays: variables.logRetentionInDays.numberValue,
        authorizationType: "AWS_IAM",
        // The forwarder signs first; only then does the route demand it (an upgrade sends no unsigned delivery to a 403).
        routeDependsOn: [this.forwarder.function, ...Object.values(this.forwarder.executionRole.inlinePolicies)],
        account,
        region,
        packaging: resolved.packaging,
      });
    }

    if (resolved.monitoring.enabled) {
      this.alarms = new QueueAlarms(this, "alarms", {
        queue: this.queues.queue,
        deadLetterQueue: this.queues.deadLetterQueue,
        quarantineQueue: this.quarantine.queue,
        forwarder: this.forwarder.function,
        topicName: `${prefix}-webhook-queue-alarms`,
        oldestMessageAgeSeconds: resolved.monitoring.oldestMessageAgeSeconds,
        deadLetterExpiryWarningSeconds: resolved.monitoring.deadLetterExpiryWarningSeconds,
        alarmEmails: resolved.monitoring.alarmEmails,
        extraAlarmActions: resolved.monitoring.extraAlarmActions,
        ...(resolved.monitoring.deliveryFailureRate && {
          deliveryFailureRate: {
            sources: sources.map((source) => source.name),
            serviceName: functionName,
            ...resolved.monitoring.deliveryFailureRate,
          },
        }),
      });
      if (resolved.monitoring.dashboard) {
        this.dashboard = new DeliveryDashboard(this, "dashboard", {
          dashboardName: `${prefix}-webhook-queue`,
          region,
          queueName: this.queues.queueName,
          deadLetterQueueName: this.queues.deadLetterQueueName,
          quarantineQueueName: this.quarantine.queueName,
          functionName,
          sources: Object.fromEntries(sources.map((source) => [source.name, Object.keys(source.targets)])),
        });
      }
    }

    new TerraformOutput(this, "apigateway_endpoint", { value: apiEndpoint });
    new TerraformOutput(this, "apigateway_id", { value: this.existingApi.api.id });
    new TerraformOutput(this, "queue_url", { value: this.queues.queue.url });
    new TerraformOutput(this, "queue_arn", { value: this.queues.queue.arn });
    new TerraformOutput(this, "dlq_url", { value: this.queues.deadLetterQueue.url });
    new TerraformOutput(this, "dlq_arn", { value: this.queues.deadLetterQueue.arn });
    new TerraformOutput(this, "quarantine_url", { value: this.quarantine.queue.url });
    new TerraformOutput(this, "quarantine_arn", { value: this.quarantine.queue.arn });
    if (this.heldGroups) new TerraformOutput(this, "held_groups_table", { value: this.heldGroups.table.name });
    // For the operators' CLI (`webhook-queue send --source`): each source's route and signature scheme, no secret.
    new TerraformOutput(this, "webhook_sources", {
      value: Object.fromEntries(
        sources.map((source) => [
          source.name,
          {
            route_key: source.routeKey,
            url: `${apiEndpoint}${routeKeyPath(source.routeKey)}`,
            ...(source.signature && { signature: schemeOnly(source.signature) }),
          },
        ]),
      ),
    });

    addMovedBlocks(this);
  }

  /** The HCL `cdktf synth --hcl` writes, with what cdktf renders wrongly put right (./synthesis.ts). */
  public override toHclTerraform(): ReturnType<TerraformStack["toHclTerraform"]> {
    const rendered = super.toHclTerraform();
    return { ...rendered, hcl: renderTerraformAttributes(unquoteDependsOn(rendered.hcl), { required_version: TERRAFORM_REQUIRED_VERSION }) };
  }

  /** The state's addresses: an element the map names gets that name instead of a generated one. */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = element instanceof TerraformElement ? element.node : element;
    return pinnedName(pathInStack(this.node, node), this.settings?.defaultSource ?? DEFAULT_SOURCE) ?? super.allocateLogicalId(element);
  }

  private configureBackend(settings: ResolvedSettings): void {
    const backend = settings.backend;
    if (backend.kind === "local") {
      new LocalBackend(this, { path: resolve(PROJECT_ROOT, backend.path) });
      return;
    }
    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: backend.key,
      region: backend.region,
      encrypt: backend.encrypt ?? true,
      dynamodbTable: backend.dynamodbTable,
    });
    // cdktf 0.21 predates S3-native locking (Terraform >= 1.10), so it is set as a raw attribute.
    if (backend.useLockfile ?? true) s3.addOverride("use_lockfile", true);
  }

  private configureProviders(settings: ResolvedSettings): void {
    const emulator = settings.emulator;
    new AwsProvider(this, "aws", {
      region: settings.region,
      defaultTags: Object.keys(settings.defaultTags).length > 0 ? [{ tags: { ...settings.defaultTags } }] : undefined,
      ...(emulator && {
        accessKey: "testing",
        secretKey: "testing",
        skipCredentialsValidation: true,
        skipMetadataApiCheck: "true",
        skipRequestingAccountId: false,
        endpoints: [
          Object.fromEntries(
            ["apigatewayv2", "cloudwatch", "cloudwatchlogs", "dynamodb", "iam", "lambda", "sns", "sqs", "sts"].map((service) => [
              service,
              emulator.endpoint,
            ]),
          ),
        ],
      }),
    });
    if (settings.packaging === "archive_file") new ArchiveProvider(this, "archive");
    // The bindings would pin the version they were generated from; the stack admits its provider line instead.
    this.addOverride("terraform.required_providers.aws.version", settings.awsProvider.constraint);
    this.addOverride("terraform.required_version", TERRAFORM_REQUIRED_VERSION);
  }

  private declareVariables(settings: ResolvedSettings) {
    const apigwName = new TerraformVariable(this, "apigw_name", {
      type: "string",
      description: "Name of the existing API Gateway HTTP API that receives the webhook",
      default: settings.apigwName,
      validation: [{ condition: tf("length(var.apigw_name) > 0"), errorMessage: "apigw_name must name the existing HTTP API." }],
    });
    const logRetentionInDays = new TerraformVariable(this, "log_retention_in_days", {
      type: "number",
      default: 7,
      description: "Retention of the forwarder's CloudWatch log group, in days",
      validation: [
        {
          condition: tf(`contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_in_days)`),
          errorMessage: `log_retention_in_days must be one of CloudWatch Logs' values: ${LOG_RETENTION_DAYS.join(", ")}.`,
        },
      ],
    });
    new TerraformVariable(this, "webhook", {
      type: WEBHOOK_VARIABLE_TYPE,
      default: {},
      nullable: false,
      description: "Forwarder and queue tuning (the article's variable)",
      validation: [
        {
          condition: tf('can(regex("^nodejs(2[2-9]|[3-9][0-9])\\\\.x$", var.webhook.runtime))'),
          errorMessage:
            'webhook.runtime must be a Node.js Lambda runtime, nodejs22.x or newer: the forwarder is a Node.js bundle (the article\'s Python handler, e.g. "python3.13", is not shipped).',
        },
        {
          condition: tf(
            "var.webhook.max_receive_count >= 1 && var.webhook.max_receive_count <= 1000 && floor(var.webhook.max_receive_count) == var.webhook.max_receive_count",
          ),
          errorMessage: "webhook.max_receive_count must be a whole number from 1 to 1000 (receives before a message moves to the DLQ).",
        },
        {
          condition: tf('contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"], var.webhook.log_level)'),
          errorMessage: "webhook.log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT.",
        },
        {
          condition: tf(
            "var.webhook.max_concurrency >= 2 && var.webhook.max_concurrency <= 1000 && floor(var.webhook.max_concurrency) == var.webhook.max_concurrency",
          ),
          errorMessage: "webhook.max_concurrency must be a whole number from 2 to 1000 (the SQS event source's maximum concurrency).",
        },
        {
          condition: tf(
            "var.webhook.dlq_retention_second >= 60 && var.webhook.dlq_retention_second <= 1209600 && floor(var.webhook.dlq_retention_second) == var.webhook.dlq_retention_second",
          ),
          errorMessage: "webhook.dlq_retention_second must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days).",
        },
      ],
    });
    return { apigwName, logRetentionInDays };
  }
}

/** A signature config without its secrets' parameter names. */
function schemeOnly(signature: SignatureConfig): Record<string, unknown> {
  const { secretParameters: _secrets, ...scheme } = signature;
  return scheme;
}
