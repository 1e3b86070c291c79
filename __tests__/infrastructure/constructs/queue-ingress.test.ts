import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing } from "cdktf";
import { evaluateTemplate, terraformJsonencode } from "../../../src/operations/local/terraform-expressions";
import {
  apiGatewayTemplate,
  deduplicationParameter,
  messageAttributes,
  messageGroupParameter,
  QueueIngress,
  QueueIngressProps,
  templateOf,
} from "../../../src/infrastructure/constructs/queue-ingress";

const ROLE_ARN = "arn:aws:iam::123456789012:role/shop-ingress";
const noReference = (expression: string): never => {
  throw new Error(`unexpected reference ${expression}`);
};

/** The construct on its own, beside a queue: only the required props unless told otherwise. */
function synthIngress(props: Partial<Omit<QueueIngressProps, "queue">> = {}) {
  let construct!: QueueIngress;
  const text = Testing.synthScope((scope) => {
    const queue = new SqsQueue(scope, "queue", { name: "shop.fifo", fifoQueue: true });
    construct = new QueueIngress(scope, "ingress", { apiId: "api-1", queue, credentialsRoleArn: ROLE_ARN, sourceName: "github", ...props });
  });
  const json = JSON.parse(text);
  const integrationId = construct.integration.friendlyUniqueId;
  const integration = json.resource.aws_apigatewayv2_integration[integrationId];
  return {
    text,
    json,
    construct,
    integrationId,
    integration,
    parameters: integration.request_parameters as Record<string, string>,
    // What API Gateway holds once Terraform has evaluated the expression.
    attributes: JSON.parse(evaluateTemplate(integration.request_parameters.MessageAttributes, noReference)),
    route: json.resource.aws_apigatewayv2_route[construct.route.friendlyUniqueId],
  };
}

describe("QueueIngress", () => {
  test("creates exactly one route and one integration (the role and the queue are given)", () => {
    const { json } = synthIngress();
    expect(Object.keys(json.resource).sort()).toEqual(["aws_apigatewayv2_integration", "aws_apigatewayv2_route", "aws_sqs_queue"]);
    expect(Object.keys(json.resource.aws_apigatewayv2_integration)).toHaveLength(1);
    expect(Object.keys(json.resource.aws_apigatewayv2_route)).toHaveLength(1);
    expect(json.data).toBeUndefined();
  });

  test("the integration: AWS_PROXY SQS-SendMessage on the given API, sending as the given role", () => {
    const { text, integration } = synthIngress();
    expect(text).toHaveResourceWithProperties(Apigatewayv2Integration, {
      description: "Queue of Webhook Event",
      api_id: "api-1",
      integration_type: "AWS_PROXY",
      integration_subtype: "SQS-SendMessage",
      credentials_arn: ROLE_ARN,
    });
    expect(Object.keys(integration).sort()).toEqual([
      "api_id",
      "credentials_arn",
      "description",
      "integration_subtype",
      "integration_type",
      "request_parameters",
    ]);
  });

  test("request parameters by default: the queue's URL, the body as it is, the source as its static group, API Gateway's request ID", () => {
    const { text, parameters } = synthIngress();
    expect(parameters).toEqual({
      QueueUrl: "${aws_sqs_queue.queue.url}",
      MessageGroupId: "github",
      MessageBody: "$request.body",
      MessageDeduplicationId: "$context.requestId",
      MessageAttributes: expect.any(String),
    });
    expect(text).toHaveResourceWithProperties(Apigatewayv2Integration, {
      request_parameters: {
        QueueUrl: "${aws_sqs_queue.queue.url}",
        MessageGroupId: "github",
        MessageBody: "$request.body",
        MessageDeduplicationId: "$context.requestId",
        MessageAttributes: expect.any(String),
      },
    });
  });

  test("message attributes by default: the source, the request ID as the webhook ID, the receive time; no header", () => {
    expect(synthIngress().attributes).toEqual({
      "webhook-source": { DataType: "String", StringValue: "github" },
      "webhook-id": { DataType: "String", StringValue: "v=${context.requestId}" },
      "webhook-received-at": { DataType: "Number", StringValue: "${context.requestTimeEpoch}" },
    });
  });

  test("the route: POST /sqs-hook by default, on the given API, targeting the integration", () => {
    const { text, route, integrationId } = synthIngress();
    expect(route).toEqual({
      api_id: "api-1",
      route_key: "POST /sqs-hook",
      target: `integrations/\${aws_apigatewayv2_integration.${integrationId}.id}`,
    });
    expect(text).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: "POST /sqs-hook" });
  });

  test("the route: routeKey overrides the key, nothing else", () => {
    const { route, integrationId } = synthIngress({ routeKey: "PUT /webhooks/github" });
    expect(route).toEqual({
      api_id: "api-1",
      route_key: "PUT /webhooks/github",
      target: `integrations/\${aws_apigatewayv2_integration.${integrationId}.id}`,
    });
  });

  test("message group: a static messageGroup is used as it is", () => {
    expect(synthIngress({ messageGroup: "saas-approvals" }).parameters.MessageGroupId).toBe("saas-approvals");
  });

  test("message group: a body mapping gives one group per value, prefixed with the source", () => {
    expect(synthIngress({ messageGroup: "$request.body.repository.id" }).parameters.MessageGroupId).toBe("github:$${request.body.repository.id}");
  });

  test("message group: a header mapping gives one group per value, prefixed with the source", () => {
    expect(synthIngress({ messageGroup: "$request.header.X-Tenant" }).parameters.MessageGroupId).toBe("github:$${request.header.X-Tenant}");
  });

  test("deduplication: the provider's delivery ID, prefixed with the source, is also the webhook ID", () => {
    const { parameters, attributes } = synthIngress({ deduplicationId: "$request.header.X-GitHub-Delivery" });
    expect(parameters.MessageDeduplicationId).toBe("github:$${request.header.X-GitHub-Delivery}");
    expect(attributes["webhook-id"]).toEqual({ DataType: "String", StringValue: "v=${request.header.X-GitHub-Delivery}" });
  });

  test("deduplication: an explicit $context.requestId is the default's", () => {
    const explicit = synthIngress({ deduplicationId: "$context.requestId" });
    expect(explicit.parameters).toEqual(synthIngress().parameters);
  });

  test("signature headers: each one is carried as a `header.<lower-case name>` attribute, its value prefixed with v=", () => {
    const { attributes } = synthIngress({ signatureHeaders: ["X-Hub-Signature-256", "webhook-timestamp"] });
    expect(attributes).toEqual({
      "webhook-source": { DataType: "String", StringValue: "github" },
      "webhook-id": { DataType: "String", StringValue: "v=${context.requestId}" },
      "webhook-received-at": { DataType: "Number", StringValue: "${context.requestTimeEpoch}" },
      "header.x-hub-signature-256": { DataType: "String", StringValue: "v=${request.header.X-Hub-Signature-256}" },
      "header.webhook-timestamp": { DataType: "String", StringValue: "v=${request.header.webhook-timestamp}" },
    });
  });

  test("every request parameter for a signed source with mapped group and deduplication", () => {
    const { parameters, attributes } = synthIngress({
      sourceName: "stripe",
      messageGroup: "$request.body.data.object.customer",
      deduplicationId: "$request.body.id",
      signatureHeaders: ["stripe-signature"],
    });
    expect(parameters).toEqual({
      QueueUrl: "${aws_sqs_queue.queue.url}",
      MessageGroupId: "stripe:$${request.body.data.object.customer}",
      MessageBody: "$request.body",
      MessageDeduplicationId: "stripe:$${request.body.id}",
      MessageAttributes:
        '${jsonencode({"webhook-source" = {"DataType" = "String", "StringValue" = "stripe"}, "webhook-id" = {"DataType" = "String", "StringValue" = "v=$${request.body.id}"}, ' +
        '"webhook-received-at" = {"DataType" = "Number", "StringValue" = "$${context.requestTimeEpoch}"}, "header.stripe-signature" = {"DataType" = "String", "StringValue" = "v=$${request.header.stripe-signature}"}})}',
    });
    expect(attributes).toEqual({
      "webhook-source": { DataType: "String", StringValue: "stripe" },
      "webhook-id": { DataType: "String", StringValue: "v=${request.body.id}" },
      "webhook-received-at": { DataType: "Number", StringValue: "${context.requestTimeEpoch}" },
      "header.stripe-signature": { DataType: "String", StringValue: "v=${request.header.stripe-signature}" },
    });
  });

  test("exposes the route and the integration under the construct IDs the stack's address map pins", () => {
    const { construct } = synthIngress();
    expect(construct.integration).toBeInstanceOf(Apigatewayv2Integration);
    expect(construct.route).toBeInstanceOf(Apigatewayv2Route);
    expect(construct.integration.node.id).toBe("integration");
    expect(construct.route.node.id).toBe("route");
  });
});

describe("templateOf", () => {
  test.each([
    ["$request.body.repository.id", "$${request.body.repository.id}"],
    ["$request.header.X-GitHub-Delivery", "$${request.header.X-GitHub-Delivery}"],
    ["$context.requestTimeEpoch", "$${context.requestTimeEpoch}"],
    // Only the leading `$` goes: API Gateway reads `${...}`, Terraform reads `$${` as a literal `${`.
    ["$request.body.price$", "$${request.body.price$}"],
    ["$$request.body.x", "$${$request.body.x}"],
    // A mapping without its `$` is wrapped as it is.
    ["request.body.id", "$${request.body.id}"],
    ["request.body.a$b", "$${request.body.a$b}"],
    ["", "$${}"],
  ])("%j -> %j", (mapping, expected) => {
    expect(templateOf(mapping)).toBe(expected);
  });
});

describe("messageGroupParameter", () => {
  test.each([
    ["github", "github", "github"],
    ["github", "saas-approvals", "saas-approvals"],
    // Only a leading `$` makes a mapping.
    ["github", "group$", "group$"],
    ["github", "a$request.body.id", "a$request.body.id"],
    ["github", "$request.body.repository.id", "github:$${request.body.repository.id}"],
    ["stripe", "$request.header.Stripe-Account", "stripe:$${request.header.Stripe-Account}"],
  ])("source %j, group %j -> %j", (source, group, expected) => {
    expect(messageGroupParameter(source, group)).toBe(expected);
  });
});

describe("deduplicationParameter", () => {
  test.each([
    ["github", "$context.requestId", "$context.requestId"],
    ["github", "$request.header.X-GitHub-Delivery", "github:$${request.header.X-GitHub-Delivery}"],
    ["stripe", "$request.body.id", "stripe:$${request.body.id}"],
    // Any other context variable is a mapping like the others.
    ["github", "$context.requestTimeEpoch", "github:$${context.requestTimeEpoch}"],
    ["github", "$context.requestid", "github:$${context.requestid}"],
  ])("source %j, deduplication %j -> %j", (source, deduplicationId, expected) => {
    expect(deduplicationParameter(source, deduplicationId)).toBe(expected);
  });
});

describe("apiGatewayTemplate", () => {
  test.each([
    ["$request.body.repository.id", "${request.body.repository.id}"],
    ["$context.requestTimeEpoch", "${context.requestTimeEpoch}"],
    ["request.body.id", "${request.body.id}"],
  ])("%j -> %j", (mapping, expected) => {
    expect(apiGatewayTemplate(mapping)).toBe(expected);
  });
});

describe("messageAttributes", () => {
  const base = (source: string, webhookId: string) => ({
    "webhook-source": { DataType: "String", StringValue: source },
    "webhook-id": { DataType: "String", StringValue: webhookId },
    "webhook-received-at": { DataType: "Number", StringValue: "${context.requestTimeEpoch}" },
  });

  test("the request ID as the webhook ID, no header", () => {
    expect(messageAttributes("github", "$context.requestId", [])).toEqual(base("github", "v=${context.requestId}"));
  });

  test("a mapped delivery ID as the webhook ID", () => {
    expect(messageAttributes("github", "$request.header.X-GitHub-Delivery", [])).toEqual(base("github", "v=${request.header.X-GitHub-Delivery}"));
  });

  test("each header as `header.<lower case>`, keeping the header's own spelling in the mapping", () => {
    expect(messageAttributes("svix", "$request.header.webhook-id", ["Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"])).toEqual({
      ...base("svix", "v=${request.header.webhook-id}"),
      "header.webhook-id": { DataType: "String", StringValue: "v=${request.header.Webhook-Id}" },
      "header.webhook-timestamp": { DataType: "String", StringValue: "v=${request.header.Webhook-Timestamp}" },
      "header.webhook-signature": { DataType: "String", StringValue: "v=${request.header.Webhook-Signature}" },
    });
  });

  test("the integration carries Terraform's jsonencode of the document: keys sorted, as API Gateway will hold it", () => {
    const { integration } = synthIngress({ signatureHeaders: ["Webhook-Signature"] });
    const held = evaluateTemplate(integration.request_parameters.MessageAttributes, noReference);
    expect(held).toBe(terraformJsonencode(messageAttributes("github", "$context.requestId", ["Webhook-Signature"])));
    expect(held.indexOf('"header.webhook-signature"')).toBeLessThan(held.indexOf('"webhook-id"'));
  });
});
