import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { ServiceRole } from "./service-role";

export interface QueueIngressProps {
  /** ID of the existing HTTP API. */
  readonly apiId: string;
  /** e.g. "POST /sqs-hook" */
  readonly routeKey: string;
  readonly queue: SqsQueue;
  /** Every message this route writes goes to this group; the forwarder routes by it. */
  readonly messageGroupId: string;
  /** e.g. `mz-dev-webhook-event-producer-role` */
  readonly roleName: string;
}

/**
 * The route on the existing HTTP API and its SQS-SendMessage integration: API Gateway
 * writes the request body straight into the queue, under a role that may only send.
 */
export class QueueIngress extends Construct {
  public readonly role: IamRole;
  public readonly integration: Apigatewayv2Integration;
  public readonly route: Apigatewayv2Route;

  constructor(scope: Construct, id: string, props: QueueIngressProps) {
    super(scope, id);
    const producer = new ServiceRole(this, "role", {
      servicePrincipal: "apigateway.amazonaws.com",
      roleName: props.roleName,
      inlinePolicyName: "sqs-integration-access-policy",
      statements: [{ actions: ["sqs:SendMessage"], resources: [props.queue.arn] }],
      addresses: {
        assumeRolePolicy: "apigateway_assume_role",
        permissionsPolicy: "sqs_send_only_policy",
        role: "webhook_event_producer_role",
        inlinePolicy: "sqs_integration_access_policy",
        exclusivePolicies: "webhook_event_producer_role_policies",
      },
    });
    this.role = producer.role;

    this.integration = new Apigatewayv2Integration(this, "integration", {
      description: "Queue of Webhook Event",
      apiId: props.apiId,
      integrationType: "AWS_PROXY",
      integrationSubtype: "SQS-SendMessage",
      credentialsArn: this.role.arn,
      requestParameters: {
        QueueUrl: props.queue.url,
        MessageGroupId: props.messageGroupId,
        MessageBody: "$request.body",
      },
    });
    this.integration.overrideLogicalId("webhook_event_producer"); // state address: aws_apigatewayv2_integration.webhook_event_producer

    this.route = new Apigatewayv2Route(this, "route", {
      apiId: props.apiId,
      routeKey: props.routeKey,
      target: `integrations/${this.integration.id}`,
    });
    this.route.overrideLogicalId("webhook_event_route"); // state address: aws_apigatewayv2_route.webhook_event_route
  }
}
