/**
 * Signed webhooks end to end, each signed with the SaaS side's own library: POSTed to the local
 * gateway (the routes and request parameters the emulator stack synthesizes for its sources), into
 * a FIFO queue in moto_server, taken by the local event source mapping to the bundled forwarder,
 * whose secrets come from moto's SSM Parameter Store. Valid webhooks are delivered once, with our
 * own signature; forged ones are quarantined in the DLQ with their reason, and never delivered.
 */
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Testing } from "cdktf";
import { randomUUID } from "node:crypto";
import { dirname } from "node:path";
import { Webhook } from "standardwebhooks";
import { emulator } from "../../../src/infrastructure/environments";
import { WebhookQueueSettings } from "../../../src/infrastructure/settings";
import { WebhookQueueStack } from "../../../src/infrastructure/webhook-queue-stack";
import { bundleLambda, lambdaZip } from "../../../src/infrastructure/bundling/bundle";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { LocalEventSourceMapping } from "../../../src/operations/local/event-source-mapping";
import { resolveReferences } from "../../../src/operations/local/deployed-stack";
import { gatewayRoutes } from "../../../src/operations/local/gateway/routes";
import { LocalGateway, startLocalGateway } from "../../../src/operations/local/gateway/server";
import { SynthesizedStack } from "../../../src/operations/shared/stack-files";
import { githubHeaders, standardWebhookHeaders, stripeHeaders } from "../../support/saas-signers";
import { LocalTarget, startTarget } from "../../support/local-targets";
import { describeWithTerraform } from "../../support/describe-with-terraform";

const REGION = "ap-northeast-1";
const SECRETS = {
  github: "github-webhook-secret",
  stripe: "whsec_stripe_test_secret",
  standardOld: `whsec_${Buffer.from("an old standard webhooks key, 32b").toString("base64")}`,
  standardNew: `whsec_${Buffer.from("the new standard webhooks key 32b").toString("base64")}`,
  hmac: "generic-hmac-secret",
  signing: `whsec_${Buffer.from("the forwarder's own signing key!!").toString("base64")}`,
} as const;
const PARAMETER = (name: keyof typeof SECRETS) => `/webhook-queue/test/${name}`;

jest.setTimeout(30_000);

describeWithTerraform(
  "signed webhooks through the local gateway, the queue and the bundled forwarder",
  () => {
    let moto: MotoServer;
    let sqs: SQSClient;
    let target: LocalTarget;
    let gateway: LocalGateway;
    let mapping: LocalEventSourceMapping;
    let dlqUrl: string;
    let quarantineUrl: string;
    const logs: string[] = [];

    beforeAll(async () => {
      moto = await startMotoServer();
      const clientConfig = { endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS };
      sqs = new SQSClient(clientConfig);
      const ssm = new SSMClient(clientConfig);
      for (const name of Object.keys(SECRETS) as (keyof typeof SECRETS)[]) {
        await ssm.send(new PutParameterCommand({ Name: PARAMETER(name), Value: SECRETS[name], Type: "SecureString" }));
      }
      ssm.destroy();
      dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "verify-dlq.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl!;
      quarantineUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "verify-quarantine.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl!;
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
      const queueUrl = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: "verify.fifo",
            Attributes: {
              FifoQueue: "true",
              ContentBasedDeduplication: "true",
              VisibilityTimeout: "5",
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
            },
          }),
        )
      ).QueueUrl!;
      const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
      target = await startTarget();

      // The sources as an operator declares them; the stack synthesizes their routes.
      const overlay: Partial<WebhookQueueSettings> = {
        application: { enabled: false },
        sources: {
          default: { targets: { app: target.url } },
          github: {
            messageGroup: "$request.body.repository.id",
            deduplicationId: "$request.header.X-GitHub-Delivery",
            signature: { scheme: "github", secretParameters: [PARAMETER("github")] },
            targets: { app: { url: target.url, signingSecretParameter: PARAMETER("signing") } },
          },
          stripe: {
            messageGroup: "$request.body.data.object.customer",
            signature: { scheme: "stripe", secretParameters: [PARAMETER("stripe")] },
            targets: { app: target.url },
          },
          standard: {
            signature: { scheme: "standard-webhooks", secretParameters: [PARAMETER("standardNew"), PARAMETER("standardOld")] },
            targets: { app: target.url },
          },
          generic: {
            signature: { scheme: "hmac-sha256", header: "X-Signature", encoding: "base64", prefix: "sha256=", secretParameters: [PARAMETER("hmac")] },
            targets: { app: target.url },
          },
        },
      };
      const settings = { ...emulator({}), ...overlay };
      const stack = JSON.parse(Testing.synth(new WebhookQueueStack(Testing.app(), settings))) as SynthesizedStack;
      const deployed = new Map([["aws_sqs_queue.webhook_queue", { url: queueUrl }]]);
      gateway = await startLocalGateway({ routes: gatewayRoutes(stack, deployed), sqs, apiId: "api1" });

      // The forwarder's SOURCES as the stack writes them (groups, targets, schemes), Terraform's jsonencode evaluated.
      const synthesizedEnvironment = (stack as unknown as { resource: Record<string, Record<string, any>> }).resource.aws_lambda_function
        .webhook_event_producer.environment.variables;
      const bundle = bundleLambda("forwarder");
      mapping = new LocalEventSourceMapping(
        {
          uuid: "test-mapping",
          eventSourceArn: queueArn,
          queueUrl,
          batchSize: 10,
          maximumConcurrency: 2,
          reportBatchItemFailures: true,
          visibilityTimeoutSeconds: 5,
          maxReceiveCount: 3,
          deadLetterTargetArn: dlqArn,
          codeSha256: lambdaZip(bundle).sha256Base64,
          function: {
            functionName: "verify-forwarder",
            functionArn: `arn:aws:lambda:${REGION}:123456789012:function:verify-forwarder`,
            handler: "index.handler",
            timeoutSeconds: 10,
            memorySizeMb: 128,
            runtime: "nodejs22.x",
            environment: {
              SOURCES: resolveReferences(synthesizedEnvironment.SOURCES, deployed),
              QUARANTINE_QUEUE_URL: quarantineUrl,
              FORWARD_TIMEOUT_MS: "2000",
              POWERTOOLS_LOG_LEVEL: "INFO",
            },
            region: REGION,
            codeDirectory: dirname(bundle.file),
          },
        },
        { sqs, functionAws: { endpoint: moto.endpoint, ...EMULATOR_CREDENTIALS }, onFunctionLog: (line) => logs.push(line) },
      );
      mapping.start();
    }, 60_000);

    afterAll(async () => {
      await mapping?.stop();
      await gateway?.stop();
      await target?.close();
      sqs?.destroy();
      await moto?.stop();
    }, 30_000);

    /** POSTs to a source's route as the SaaS does; the gateway's answer must be SQS's 200. */
    const post = async (source: string, body: string, headers: Record<string, string>) => {
      const path = source === "default" ? "/sqs-hook" : `/webhooks/${source}`;
      const response = await fetch(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
      expect(response.status).toBe(200);
    };
    const deliveredBodies = () => target.received.map((request) => request.body.toString());
    const quarantined: Message[] = [];
    /** Waits until `body` was delivered, or quarantined (then returns its message in the quarantine queue). */
    const outcome = async (body: string): Promise<"delivered" | Message> => {
      for (let attempt = 0; attempt < 150; attempt++) {
        if (deliveredBodies().includes(body)) return "delivered";
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: quarantineUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], WaitTimeSeconds: 0 }),
        );
        // Kept here and taken out of the queue, so that the next receive gets the next ones (FIFO: 10 at most).
        for (const message of received.Messages ?? []) {
          quarantined.push(message);
          await sqs.send(new DeleteMessageCommand({ QueueUrl: quarantineUrl, ReceiptHandle: message.ReceiptHandle }));
        }
        const found = quarantined.find((message) => message.Body === body);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`neither delivered nor quarantined: ${body}`);
    };
    const reasonOf = (result: "delivered" | Message) =>
      result === "delivered" ? result : result.MessageAttributes?.["quarantine-reason"]?.StringValue;
    const unique = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ test: name, nonce: randomUUID(), ...extra });

    describe("GitHub (@octokit/webhooks-methods)", () => {
      test("valid: delivered once, with the delivery ID as webhook ID and the forwarder's own Standard Webhooks signature", async () => {
        const body = unique("github valid", { repository: { id: 1 } });
        const delivery = randomUUID();
        await post("github", body, await githubHeaders(SECRETS.github, body, delivery));
        expect(await outcome(body)).toBe("delivered");
        const request = target.received.find((received) => received.body.toString() === body)!;
        expect(request.headers["webhook-id"]).toBe(delivery);
        expect(request.headers["x-webhook-source"]).toBe("github");
        // The application verifies the forwarder with the reference implementation.
        expect(() =>
          new Webhook(SECRETS.signing).verify(body, {
            "webhook-id": String(request.headers["webhook-id"]),
            "webhook-timestamp": String(request.headers["webhook-timestamp"]),
            "webhook-signature": String(request.headers["webhook-signature"]),
          }),
        ).not.toThrow();
        await new Promise((r) => setTimeout(r, 500));
        expect(deliveredBodies().filter((delivered) => delivered === body)).toHaveLength(1);
      });

      test("tampered body: quarantined with its reason, never delivered", async () => {
        const body = unique("github tampered", { repository: { id: 2 } });
        const headers = await githubHeaders(SECRETS.github, body, randomUUID());
        const tampered = body.replace("tampered", "tampered!");
        await post("github", tampered, headers);
        expect(reasonOf(await outcome(tampered))).toBe("signature mismatch");
        expect(deliveredBodies()).not.toContain(tampered);
      });

      test("wrong secret: quarantined", async () => {
        const body = unique("github wrong secret", { repository: { id: 3 } });
        await post("github", body, await githubHeaders("not-the-secret", body, randomUUID()));
        expect(reasonOf(await outcome(body))).toBe("signature mismatch");
      });

      test("no signature at all (anyone who found the URL): queued, then quarantined with the missing header named", async () => {
        const body = unique("github forged", { repository: { id: 4 } });
        await post("github", body, { "x-github-delivery": randomUUID() });
        expect(reasonOf(await outcome(body))).toBe("missing header x-hub-signature-256");
      });
    });

    describe("Stripe (stripe.webhooks.generateTestHeaderString)", () => {
      const now = () => Math.floor(Date.now() / 1000);
      test("valid: delivered", async () => {
        const body = unique("stripe valid", { data: { object: { customer: "cus_1" } } });
        await post("stripe", body, stripeHeaders(SECRETS.stripe, body, now()));
        expect(await outcome(body)).toBe("delivered");
      });

      test("tampered body, wrong secret: quarantined", async () => {
        const body = unique("stripe tampered", { data: { object: { customer: "cus_2" } } });
        const tampered = `${body} `;
        await post("stripe", tampered, stripeHeaders(SECRETS.stripe, body, now()));
        expect(reasonOf(await outcome(tampered))).toBe("signature mismatch");
        const wrong = unique("stripe wrong", { data: { object: { customer: "cus_2" } } });
        await post("stripe", wrong, stripeHeaders("whsec_other", wrong, now()));
        expect(reasonOf(await outcome(wrong))).toBe("signature mismatch");
      });

      test("expired timestamp (a replay an hour old): quarantined, the distance to the receive time named", async () => {
        const body = unique("stripe expired", { data: { object: { customer: "cus_3" } } });
        await post("stripe", body, stripeHeaders(SECRETS.stripe, body, now() - 3600));
        expect(reasonOf(await outcome(body))).toMatch(/^timestamp \d+ is 36\d\d s from the receive time \(tolerance 300 s\)$/);
      });
    });

    describe("Standard Webhooks (standardwebhooks, the reference implementation)", () => {
      test("rotated secrets: signed with the new or the old secret, both delivered", async () => {
        for (const secret of [SECRETS.standardNew, SECRETS.standardOld]) {
          const body = unique("standard rotated");
          await post("standard", body, standardWebhookHeaders(secret, body, `msg_${randomUUID()}`, new Date()));
          expect(await outcome(body)).toBe("delivered");
        }
      });

      test("expired timestamp, tampered body, wrong secret: quarantined", async () => {
        const expired = unique("standard expired");
        await post(
          "standard",
          expired,
          standardWebhookHeaders(SECRETS.standardNew, expired, `msg_${randomUUID()}`, new Date(Date.now() - 3_600_000)),
        );
        expect(reasonOf(await outcome(expired))).toMatch(/^timestamp \d+ is 36\d\d s from the receive time/);
        const body = unique("standard tampered");
        const tampered = `${body} `;
        await post("standard", tampered, standardWebhookHeaders(SECRETS.standardNew, body, `msg_${randomUUID()}`, new Date()));
        expect(reasonOf(await outcome(tampered))).toBe("signature mismatch");
        const wrong = unique("standard wrong");
        await post(
          "standard",
          wrong,
          standardWebhookHeaders(`whsec_${Buffer.from("someone else's key").toString("base64")}`, wrong, `msg_${randomUUID()}`, new Date()),
        );
        expect(reasonOf(await outcome(wrong))).toBe("signature mismatch");
      });
    });

    test("two deliveries with identical bodies are both queued and delivered (no merge)", async () => {
      const body = unique("identical");
      await post("default", body, {});
      await post("default", body, {});
      for (let attempt = 0; attempt < 100 && deliveredBodies().filter((delivered) => delivered === body).length < 2; attempt++)
        await new Promise((r) => setTimeout(r, 100));
      const requests = target.received.filter((request) => request.body.toString() === body);
      expect(requests).toHaveLength(2);
      expect(new Set(requests.map((request) => request.headers["webhook-id"])).size).toBe(2);
    });

    test("the generic HMAC scheme, signed with node:crypto as a generic sender would", async () => {
      const { createHmac } = await import("node:crypto");
      const body = unique("generic");
      await post("generic", body, { "x-signature": `sha256=${createHmac("sha256", SECRETS.hmac).update(body).digest("base64")}` });
      expect(await outcome(body)).toBe("delivered");
      const forged = unique("generic forged");
      await post("generic", forged, { "x-signature": `sha256=${createHmac("sha256", "guess").update(forged).digest("base64")}` });
      expect(reasonOf(await outcome(forged))).toBe("signature mismatch");
    });

    test("request headers cannot relabel a forged webhook as the unsigned source, nor add attributes: quarantined, never delivered", async () => {
      // A signature header that ends its JSON string and adds the source attribute, pasted by the integration's template.
      const relabelled = unique("relabelled", { repository: { id: 7 } });
      await post("github", relabelled, {
        "x-hub-signature-256": 'sha256=00"},"webhook-source":{"DataType":"String","StringValue":"default',
        "x-github-delivery": randomUUID(),
      });
      expect(reasonOf(await outcome(relabelled))).toMatch(/contradicts the message group of source github|signature mismatch/);
      // A delivery header that adds an attribute of its own.
      const injected = unique("injected", { repository: { id: 8 } });
      await post("github", injected, {
        ...(await githubHeaders(SECRETS.github, injected, "d-1")),
        "x-github-delivery": 'd-1"},"webhook-target":{"DataType":"String","StringValue":"elsewhere',
      });
      expect(reasonOf(await outcome(injected))).toBe("forged: attribute webhook-target is not one the route of source github writes");
      expect(deliveredBodies()).not.toContain(relabelled);
      expect(deliveredBodies()).not.toContain(injected);
    });

    test("a quarantined webhook keeps its source, group and attributes in the quarantine queue (a release after a fix verifies); the DLQ stays empty", async () => {
      const github = quarantined.find((message) => message.MessageAttributes?.["webhook-source"]?.StringValue === "github");
      expect(github?.MessageAttributes).toMatchObject({
        "webhook-source": { StringValue: "github" },
        "webhook-received-at": { DataType: "Number" },
        "header.x-hub-signature-256": { StringValue: expect.stringMatching(/^v=/) },
        "quarantine-reason": { StringValue: expect.any(String) },
      });
      const log = logs
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.message === "webhook quarantined");
      expect(log).toMatchObject({ source: expect.any(String), reason: expect.any(String), quarantineMessageId: expect.any(String) });
      // Forgeries are not delivery failures: nothing of them reached the DLQ or its alarms.
      const dlq = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
      );
      expect(dlq.Attributes).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    });
  },
  ["moto_server"],
);
