/** The local gateway's routes: read from the synthesized stack, and matched as API Gateway does. */
import { Testing } from "cdktf";
import { emulator } from "../../../../src/infrastructure/environments";
import { WebhookQueueStack } from "../../../../src/infrastructure/webhook-queue-stack";
import { resolveReferences } from "../../../../src/operations/local/deployed-stack";
import { deployedValuesOf, SynthesizedStack } from "../../../../src/operations/shared/stack-files";
import { gatewayRoutes, matchRoute } from "../../../../src/operations/local/gateway/routes";

describe("matchRoute", () => {
  const routes = [
    { routeKey: "POST /sqs-hook" },
    { routeKey: "ANY /items/{id}" },
    { routeKey: "GET /items/{id}" },
    { routeKey: "GET /files/{proxy+}" },
    { routeKey: "$default" },
  ];

  test("exact path and method", () => {
    expect(matchRoute(routes, "POST", "/sqs-hook")?.route.routeKey).toBe("POST /sqs-hook");
  });
  test("a method beats ANY; path variables are captured", () => {
    expect(matchRoute(routes, "GET", "/items/9")).toEqual({ route: { routeKey: "GET /items/{id}" }, pathParameters: { id: "9" } });
    expect(matchRoute(routes, "DELETE", "/items/9")?.route.routeKey).toBe("ANY /items/{id}");
  });
  test("greedy variables take the rest of the path", () => {
    expect(matchRoute(routes, "GET", "/files/a/b.txt")?.pathParameters).toEqual({ proxy: "a/b.txt" });
  });
  test("anything else goes to $default, or nowhere without one", () => {
    expect(matchRoute(routes, "GET", "/sqs-hook")?.route.routeKey).toBe("$default");
    expect(matchRoute(routes.slice(0, 1), "GET", "/sqs-hook")).toBeUndefined();
    expect(matchRoute(routes.slice(0, 1), "POST", "/sqs-hook/")).toBeUndefined();
  });
});

describe("routes from the synthesized emulator stack", () => {
  const stack = JSON.parse(Testing.synth(new WebhookQueueStack(Testing.app(), emulator({})))) as SynthesizedStack;
  const deployed = deployedValuesOf({
    values: {
      root_module: {
        resources: [
          { address: "aws_sqs_queue.webhook_queue", values: { url: "http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo" } },
          {
            address: "aws_lambda_function.webhook_application",
            values: {
              invoke_arn:
                "arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:mz-dev-webhook-application/invocations",
            },
          },
        ],
      },
    },
  });

  test("the route keys and the integrations' parameters, Terraform references resolved", () => {
    expect(gatewayRoutes(stack, deployed)).toEqual([
      {
        routeKey: "POST /application-hook",
        integrationAddress: "aws_apigatewayv2_integration.webhook_application",
        integrationType: "AWS_PROXY",
        integrationUri:
          "arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:mz-dev-webhook-application/invocations",
        payloadFormatVersion: "2.0",
        requestParameters: {},
        // The application's route lets in only what the forwarder's role signs.
        authorizationType: "AWS_IAM",
      },
      {
        routeKey: "POST /sqs-hook",
        integrationAddress: "aws_apigatewayv2_integration.webhook_event_producer",
        integrationType: "AWS_PROXY",
        integrationSubtype: "SQS-SendMessage",
        requestParameters: {
          QueueUrl: "http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo",
          MessageGroupId: "mz-dev-sqs-webhook",
          MessageBody: "$request.body",
          // Every delivery is queued, even with a body identical to another's.
          MessageDeduplicationId: "$context.requestId",
          // The source, the webhook ID and the receive time travel as attributes: Terraform's jsonencode
          // evaluated (keys sorted), the `$${` escapes resolved to API Gateway's templates.
          MessageAttributes:
            '{"webhook-id":{"DataType":"String","StringValue":"v=${context.requestId}"},' +
            '"webhook-received-at":{"DataType":"Number","StringValue":"${context.requestTimeEpoch}"},' +
            '"webhook-source":{"DataType":"String","StringValue":"default"}}',
        },
      },
    ]);
  });

  test("resolveReferences: interpolation, $${ escapes, and a clear refusal of other expressions", () => {
    expect(resolveReferences("q=${aws_sqs_queue.webhook_queue.url}!", deployed)).toBe(
      "q=http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo!",
    );
    expect(resolveReferences("$${literal}", deployed)).toBe("${literal}");
    expect(() => resolveReferences("${var.webhook.max_concurrency}", deployed)).toThrow(/only resource attribute references/);
    expect(resolveReferences('${jsonencode({"url" = aws_sqs_queue.webhook_queue.url})}', deployed)).toBe(
      '{"url":"http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo"}',
    );
    expect(() => resolveReferences("${aws_sqs_queue.webhook_dlq.url}", deployed)).toThrow(/aws_sqs_queue.webhook_dlq is not in the deployed state/);
  });
});
