import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { headerAttribute, MAPPED_VALUE_PREFIX, MESSAGE_ATTRIBUTES } from "../../../lambda/forwarder/contract";

export interface QueueIngressProps {
  /** ID of the existing HTTP API. */
  readonly apiId: string;
  readonly queue: SqsQueue;
  /** ARN of the role API Gateway sends to the queue as (sqs:SendMessage only). */
  readonly credentialsRoleArn: string;
  /** The source's name: every message carries it, and the forwarder picks the targets by it. */
  readonly sourceName: string;
  /** @default "POST /sqs-hook" */
  readonly routeKey?: string;
  /**
   * A static group ID, or `$request.body.<JSONPath>` / `$request.header.<name>`: one group per
   * value, `<sourceName>:<value>`, and `<sourceName>:` for a request without it.
   * @default sourceName
   */
  readonly messageGroup?: string;
  /** `$context.requestId`, or a mapping of the provider's delivery ID. @default "$context.requestId" */
  readonly deduplicationId?: string;
  /** Request headers the forwarder needs to verify the signature, carried as message attributes. @default [] */
  readonly signatureHeaders?: readonly string[];
}

/**
 * A mapping expression inside a `${}` template, as a Terraform JSON string: API Gateway reads
 * `${request.body.x}`, and Terraform would read an unescaped `${` as its own interpolation.
 */
export function templateOf(mapping: string): string {
  return `$\${${mapping.replace(/^\$/, "")}}`;
}

/**
 * MessageGroupId: a static value as it is; a mapping as `<source>:${<mapping>}`. The prefix
 * keeps sources' groups apart and makes the fallback group `<source>:` for a request without
 * the key, which is queued, never refused.
 */
export function messageGroupParameter(sourceName: string, messageGroup: string): string {
  return messageGroup.startsWith("$") ? `${sourceName}:${templateOf(messageGroup)}` : messageGroup;
}

/** MessageDeduplicationId: API Gateway's request ID as it is; the provider's delivery ID as `<source>:${<mapping>}`. */
export function deduplicationParameter(sourceName: string, deduplicationId: string): string {
  return deduplicationId === "$context.requestId" ? deduplicationId : `${sourceName}:${templateOf(deduplicationId)}`;
}

/**
 * MessageAttributes: the source, the webhook ID, the receive time, and each signature header,
 * mapped values prefixed so that a header the request lacks is queued as "v=" (and quarantined
 * by the forwarder) instead of failing SQS's non-empty rule.
 */
export function messageAttributesParameter(sourceName: string, deduplicationId: string, signatureHeaders: readonly string[]): string {
  const text = (value: string) => ({ DataType: "String", StringValue: value });
  const webhookId = deduplicationId === "$context.requestId" ? templateOf("$context.requestId") : templateOf(deduplicationId);
  return JSON.stringify({
    [MESSAGE_ATTRIBUTES.source]: text(sourceName),
    [MESSAGE_ATTRIBUTES.webhookId]: text(`${MAPPED_VALUE_PREFIX}${webhookId}`),
    [MESSAGE_ATTRIBUTES.receivedAt]: { DataType: "Number", StringValue: templateOf("$context.requestTimeEpoch") },
    ...Object.fromEntries(
      signatureHeaders.map((header) => [headerAttribute(header), text(`${MAPPED_VALUE_PREFIX}${templateOf(`$request.header.${header}`)}`)]),
    ),
  });
}

/**
 * One webhook source's route on the existing HTTP API and its SQS-SendMessage integration:
 * API Gateway writes the request body straight into the queue, with the message group, the
 * deduplication ID and the attributes the forwarder needs.
 */
export class QueueIngress extends Construct {
  public readonly integration: Apigatewayv2Integration;
  public readonly route: Apigatewayv2Route;

  constructor(scope: Construct, id: string, props: QueueIngressProps) {
    super(scope, id);
    const messageGroup = props.messageGroup ?? props.sourceName;
    const deduplicationId = props.deduplicationId ?? "$context.requestId";
    this.integration = new Apigatewayv2Integration(this, "integration", {
      description: "Queue of Webhook Event",
      apiId: props.apiId,
      integrationType: "AWS_PROXY",
      integrationSubtype: "SQS-SendMessage",
      credentialsArn: props.credentialsRoleArn,
      requestParameters: {
        QueueUrl: props.queue.url,
        MessageGroupId: messageGroupParameter(props.sourceName, messageGroup),
        MessageBody: "$request.body",
        MessageDeduplicationId: deduplicationParameter(props.sourceName, deduplicationId),
        MessageAttributes: messageAttributesParameter(props.sourceName, deduplicationId, props.signatureHeaders ?? []),
      },
    });

    this.route = new Apigatewayv2Route(this, "route", {
      apiId: props.apiId,
      routeKey: props.routeKey ?? "POST /sqs-hook",
      target: `integrations/${this.integration.id}`,
    });
  }
}
