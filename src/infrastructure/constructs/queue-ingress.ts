import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Fn } from "cdktf";
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

/** A mapping as API Gateway's template form: `${request.body.x}` from `$request.body.x`. */
export function apiGatewayTemplate(mapping: string): string {
  return `\${${mapping.replace(/^\$/, "")}}`;
}

/**
 * The template form in a plain Terraform string: API Gateway reads `${request.body.x}`, and
 * Terraform would read an unescaped `${` as its own interpolation, so it is written `$${`.
 * (Inside a Terraform function call, as in messageAttributesParameter, cdktf escapes it itself.)
 */
export function templateOf(mapping: string): string {
  return `$${apiGatewayTemplate(mapping)}`;
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
 * by the forwarder) instead of failing SQS's non-empty rule. The document API Gateway holds,
 * its templates in the values; the integration carries Terraform's `jsonencode` of it.
 */
export function messageAttributes(
  sourceName: string,
  deduplicationId: string,
  signatureHeaders: readonly string[],
): Record<string, { DataType: "String" | "Number"; StringValue: string }> {
  const text = (value: string) => ({ DataType: "String" as const, StringValue: value });
  return {
    [MESSAGE_ATTRIBUTES.source]: text(sourceName),
    [MESSAGE_ATTRIBUTES.webhookId]: text(`${MAPPED_VALUE_PREFIX}${apiGatewayTemplate(deduplicationId)}`),
    [MESSAGE_ATTRIBUTES.receivedAt]: { DataType: "Number", StringValue: apiGatewayTemplate("$context.requestTimeEpoch") },
    ...Object.fromEntries(
      signatureHeaders.map((header) => [headerAttribute(header), text(`${MAPPED_VALUE_PREFIX}${apiGatewayTemplate(`$request.header.${header}`)}`)]),
    ),
  };
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
        // A function call rather than a JSON string written here: cdktf's HCL renderer cannot quote the latter.
        MessageAttributes: Fn.jsonencode(messageAttributes(props.sourceName, deduplicationId, props.signatureHeaders ?? [])),
      },
    });

    this.route = new Apigatewayv2Route(this, "route", {
      apiId: props.apiId,
      routeKey: props.routeKey ?? "POST /sqs-hook",
      target: `integrations/${this.integration.id}`,
    });
  }
}
