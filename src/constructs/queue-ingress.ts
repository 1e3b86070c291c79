import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";

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
  public readonly sendPolicy: IamRolePolicy;
  public readonly integration: Apigatewayv2Integration;
  public readonly route: Apigatewayv2Route;

  constructor(scope: Construct, id: string, props: QueueIngressProps) {
    super(scope, id);
    const assumeRole = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] }],
    });
    assumeRole.overrideLogicalId("apigateway_assume_role"); // state address: data.aws_iam_policy_document.apigateway_assume_role

    const sendOnly = new DataAwsIamPolicyDocument(this, "send-only", {
      statement: [{ actions: ["sqs:SendMessage"], resources: [props.queue.arn] }],
    });
    sendOnly.overrideLogicalId("sqs_send_only_policy"); // state address: data.aws_iam_policy_document.sqs_send_only_policy

    this.role = new IamRole(this, "role", { name: props.roleName, assumeRolePolicy: assumeRole.json });
    this.role.overrideLogicalId("webhook_event_producer_role"); // state address: aws_iam_role.webhook_event_producer_role

    this.sendPolicy = new IamRolePolicy(this, "send-policy", {
      name: "sqs-integration-access-policy",
      role: this.role.id,
      policy: sendOnly.json,
    });
    this.sendPolicy.overrideLogicalId("sqs_integration_access_policy"); // state address: aws_iam_role_policy.sqs_integration_access_policy

    // Any inline policy added to the role outside Terraform is removed on the next apply.
    new IamRolePoliciesExclusive(this, "exclusive-policies", {
      roleName: this.role.name,
      policyNames: [this.sendPolicy.name],
    }).overrideLogicalId("webhook_event_producer_role_policies"); // state address: aws_iam_role_policies_exclusive.webhook_event_producer_role_policies

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
