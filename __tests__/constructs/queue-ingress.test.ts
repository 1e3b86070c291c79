import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { synth } from "../support/synth";

describe("QueueIngress: route + SQS-SendMessage integration + its role", () => {
  const { text, json } = synth();

  test("aws_apigatewayv2_route.webhook_event_route: POST /sqs-hook on the existing API, targeting the integration", () => {
    expect(text).toHaveResourceWithProperties(Apigatewayv2Route, {
      api_id: "${data.aws_apigatewayv2_api.this.id}",
      route_key: "POST /sqs-hook",
      target: "integrations/${aws_apigatewayv2_integration.webhook_event_producer.id}",
    });
    expect(Object.keys(json.resource.aws_apigatewayv2_route)).toEqual(["webhook_event_route"]);
  });

  test("aws_apigatewayv2_integration.webhook_event_producer: AWS_PROXY SQS-SendMessage with the article's request parameters", () => {
    expect(text).toHaveResourceWithProperties(Apigatewayv2Integration, {
      description: "Queue of Webhook Event",
      api_id: "${data.aws_apigatewayv2_api.this.id}",
      integration_type: "AWS_PROXY",
      integration_subtype: "SQS-SendMessage",
      credentials_arn: "${aws_iam_role.webhook_event_producer_role.arn}",
      request_parameters: {
        QueueUrl: "${aws_sqs_queue.webhook_queue.url}",
        MessageGroupId: "mz-dev-sqs-webhook",
        MessageBody: "$request.body",
      },
    });
    expect(Object.keys(json.resource.aws_apigatewayv2_integration)).toEqual(["webhook_event_producer"]);
  });

  test("the role is assumable by API Gateway only and may only send to the queue", () => {
    expect(json.data.aws_iam_policy_document.apigateway_assume_role.statement).toEqual([
      { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] },
    ]);
    expect(json.data.aws_iam_policy_document.sqs_send_only_policy.statement).toEqual([
      { actions: ["sqs:SendMessage"], resources: ["${aws_sqs_queue.webhook_queue.arn}"] },
    ]);
    expect(text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [{ actions: ["sqs:SendMessage"], resources: ["${aws_sqs_queue.webhook_queue.arn}"] }],
    });
    expect(text).toHaveResourceWithProperties(IamRole, {
      name: "mz-dev-webhook-event-producer-role",
      assume_role_policy: "${data.aws_iam_policy_document.apigateway_assume_role.json}",
    });
    expect(text).toHaveResourceWithProperties(IamRolePolicy, {
      name: "sqs-integration-access-policy",
      role: "${aws_iam_role.webhook_event_producer_role.id}",
      policy: "${data.aws_iam_policy_document.sqs_send_only_policy.json}",
    });
    expect(text).toHaveResourceWithProperties(IamRolePoliciesExclusive, {
      role_name: "${aws_iam_role.webhook_event_producer_role.name}",
      policy_names: ["${aws_iam_role_policy.sqs_integration_access_policy.name}"],
    });
  });

  test("route key and message group come from settings", () => {
    const other = synth({ routeKey: "PUT /hooks/saas", messageGroupId: "saas-approvals" }).json.resource;
    expect(other.aws_apigatewayv2_route.webhook_event_route.route_key).toBe("PUT /hooks/saas");
    expect(other.aws_apigatewayv2_integration.webhook_event_producer.request_parameters.MessageGroupId).toBe("saas-approvals");
  });
});
