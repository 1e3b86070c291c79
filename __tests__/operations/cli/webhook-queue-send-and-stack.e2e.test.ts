/**
 * `send` against a real HTTP server on 127.0.0.1, and `--stack NAME` against a real
 * terraform state (a local-backend apply of output blocks) plus the synthesized route.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { IncomingHttpHeaders, Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Webhook } from "standardwebhooks";
import { EMULATOR_CREDENTIALS, MotoServer, freePort, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { terraformEnv } from "../../../src/operations/terraform/provider-installation";
import { REGION, cliEnv, createQueuePair, jsonOf, putMessages, queueCounts, runCli, sqsClient } from "../../support/cli-harness";
import { octokit, stripe } from "../../support/saas-signers";

jest.setTimeout(60_000);

interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

let server: Server;
let baseUrl: string;
const requests: RecordedRequest[] = [];
let moto: MotoServer;
let sqs: SQSClient;
let workDir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      const failing = request.url === "/broken";
      response.writeHead(failing ? 500 : 200, { "content-type": "application/json" });
      response.end(failing ? '{"message":"Internal Server Error"}' : '{"MessageId":"from-test-server"}');
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  moto = await startMotoServer();
  sqs = sqsClient(moto.endpoint);
  workDir = mkdtempSync(join(tmpdir(), "webhook-queue-cli-"));
});

afterAll(async () => {
  await new Promise((resolveClose) => server?.close(resolveClose));
  sqs?.destroy();
  await moto?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
});

test("send POSTs a file byte for byte, stdin, or a unique sample to --url", async () => {
  const bytes = Buffer.concat([Buffer.from('{"event":"payment.succeeded","note":"caf\u00e9 \u2713"}\r\n'), Buffer.from([0xff, 0x00, 0xfe])]);
  const file = join(workDir, "webhook.bin");
  writeFileSync(file, bytes);

  const fromFile = await runCli([
    "send",
    "--url",
    `${baseUrl}/sqs-hook`,
    "--file",
    file,
    "--content-type",
    "application/octet-stream",
    "--header",
    "X-Signature: abc123",
    "--json",
  ]);
  expect(fromFile.code).toBe(0);
  expect(jsonOf(fromFile)).toMatchObject({
    method: "POST",
    status: 200,
    ok: true,
    requestBytes: bytes.length,
    responseBody: '{"MessageId":"from-test-server"}',
  });
  expect(requests[0]).toMatchObject({ method: "POST", path: "/sqs-hook" });
  expect(requests[0].headers["content-type"]).toBe("application/octet-stream");
  expect(requests[0].headers["x-signature"]).toBe("abc123");
  expect(requests[0].body.equals(bytes)).toBe(true);

  const fromStdin = await runCli(["send", "--url", `${baseUrl}/sqs-hook`, "--file", "-"], { input: '{"from":"stdin"}' });
  expect(fromStdin.code).toBe(0);
  expect(fromStdin.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/sqs-hook \(16 bytes\) -> 200 OK\n\{"MessageId":"from-test-server"\}\n$/);
  expect(requests[1].body.toString()).toBe('{"from":"stdin"}');
  expect(requests[1].headers["content-type"]).toBe("application/json");

  const samples = await Promise.all([1, 2].map(() => runCli(["send", "--url", `${baseUrl}/sqs-hook`, "--sample"])));
  expect(samples.map((run) => run.code)).toEqual([0, 0]);
  const [a, b] = requests.slice(2).map((request) => JSON.parse(request.body.toString()));
  expect(a).toMatchObject({ type: "webhook-queue.test", id: expect.any(String) });
  expect(a.id).not.toBe(b.id);
});

test("send fails clearly: non-2xx answer, nothing listening, no body given", async () => {
  const closedUrl = `http://127.0.0.1:${await freePort()}/sqs-hook`;
  const [broken, unreachable, noBody, twoBodies] = await Promise.all([
    runCli(["send", "--url", `${baseUrl}/broken`, "--sample"]),
    runCli(["send", "--url", closedUrl, "--sample"]),
    runCli(["send", "--url", `${baseUrl}/sqs-hook`]),
    runCli(["send", "--url", `${baseUrl}/sqs-hook`, "--sample", "--file", "-"]),
  ]);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toContain("-> 500 Internal Server Error");
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(new RegExp(`^webhook-queue: cannot POST ${closedUrl}: .*ECONNREFUSED`));
  expect(noBody.code).toBe(2);
  expect(noBody.stderr).toContain("give exactly one body");
  expect(twoBodies.code).toBe(2);
});

/** A stack directory as `cdktf deploy` leaves it: real terraform state with the stack's outputs, and cdk.tf.json. */
function applyStack(stacksDir: string, name: string, outputs: Record<string, unknown>): void {
  const dir = join(stacksDir, name);
  execFileSync("mkdir", ["-p", dir]);
  const config = { output: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { value }])) };
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(config));
  const env = terraformEnv();
  execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
  execFileSync("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env, stdio: "pipe" });
  // Synthesis also wrote the route; terraform output only reads the state.
  const route = { aws_apigatewayv2_route: { webhook_event_route: { api_id: "${aws_apigatewayv2_api.id}", route_key: "POST /sqs-hook" } } };
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify({ ...config, resource: route }));
}

test("--stack reads the queues and the route from a deployed stack's terraform outputs", async () => {
  const pair = await createQueuePair(sqs, "stack-webhook-queue");
  await putMessages(sqs, pair.dlqUrl, { "mz-dev-sqs-webhook": 2 });
  const stacksDir = join(workDir, "stacks");
  applyStack(stacksDir, "mz-dev", {
    queue_url: pair.queueUrl,
    queue_arn: pair.queueArn,
    dlq_url: pair.dlqUrl,
    dlq_arn: pair.dlqArn,
    apigateway_endpoint: baseUrl,
    apigateway_id: "abc123",
  });
  const aws = ["--endpoint-url", moto.endpoint, "--region", REGION];

  // status and peek both hold the DLQ's messages for a moment, so they run one after the other.
  const [status, sent, missing] = await Promise.all([
    runCli(["status", ...aws, "--stack", "mz-dev", "--stacks-dir", stacksDir, "--json"]),
    runCli(["send", "--stack", "mz-dev", "--stacks-dir", stacksDir, "--sample"]),
    runCli(["status", ...aws, "--stack", "mz-prod", "--stacks-dir", stacksDir]),
  ]);
  // An operator's machine without a provider mirror (the registry's way): `terraform output` installs no provider.
  const peek = await runCli(["peek", ...aws, "--stack", "mz-dev", "--json"], {
    env: cliEnv({ WEBHOOK_QUEUE_STACKS_DIR: stacksDir, WEBHOOK_QUEUE_PROVIDER_MIRROR: "registry" }),
  });
  expect(status.code).toBe(0);
  expect(jsonOf(status)).toMatchObject({ queue: { url: pair.queueUrl }, dlq: { url: pair.dlqUrl, visible: 2 } });
  expect(peek.code).toBe(0);
  expect(jsonOf(peek)).toMatchObject({ queueUrl: pair.dlqUrl, count: 2 });
  expect(sent.code).toBe(0);
  expect(requests).toEqual([expect.objectContaining({ method: "POST", path: "/sqs-hook" })]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`stack mz-prod not found: ${join(stacksDir, "mz-prod")} does not exist`);
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
});

test("send --source signs as the source's provider does: GitHub's, Stripe's and the Standard Webhooks libraries verify it; --secret-parameter reads SSM", async () => {
  const stacksDir = join(workDir, "signed-stacks");
  const source = (name: string, scheme: string) => ({
    route_key: `POST /webhooks/${name}`,
    url: `${baseUrl}/webhooks/${name}`,
    signature: { scheme },
  });
  applyStack(stacksDir, "signed", {
    apigateway_endpoint: baseUrl,
    webhook_sources: { github: source("github", "github"), stripe: source("stripe", "stripe"), svix: source("svix", "standard-webhooks") },
  });
  const body = join(workDir, "event.json");
  writeFileSync(body, '{"id":"evt_1","type":"invoice.paid"}');
  const common = ["send", "--stack", "signed", "--stacks-dir", stacksDir, "--file", body];
  const whsec = `whsec_${Buffer.from("a standard webhooks secret, 32 b").toString("base64")}`;
  const ssm = new SSMClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  await ssm.send(new PutParameterCommand({ Name: "/webhooks/github/secret", Value: "from-ssm", Type: "SecureString" }));
  ssm.destroy();

  const runs = [
    await runCli([...common, "--source", "github", "--secret", "gh-secret"]),
    await runCli([...common, "--source", "stripe", "--secret", "whsec_stripe"]),
    await runCli([...common, "--source", "svix", "--secret", whsec]),
    await runCli([
      ...common,
      "--source",
      "github",
      "--secret-parameter",
      "/webhooks/github/secret",
      "--endpoint-url",
      moto.endpoint,
      "--region",
      REGION,
    ]),
  ];
  expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0]);
  expect(requests.map((request) => request.path)).toEqual(["/webhooks/github", "/webhooks/stripe", "/webhooks/svix", "/webhooks/github"]);
  const [github, stripeRequest, svix, fromSsm] = requests.map((request) => ({ ...request, text: request.body.toString() }));
  expect(await octokit.verify("gh-secret", github.text, String(github.headers["x-hub-signature-256"]))).toBe(true);
  expect(stripe.webhooks.constructEvent(stripeRequest.text, String(stripeRequest.headers["stripe-signature"]), "whsec_stripe")).toMatchObject({
    id: "evt_1",
  });
  expect(new Webhook(whsec).verify(svix.text, svix.headers as Record<string, string>)).toMatchObject({ id: "evt_1" });
  expect(await octokit.verify("from-ssm", fromSsm.text, String(fromSsm.headers["x-hub-signature-256"]))).toBe(true);

  const [unknown, noStack] = await Promise.all([
    runCli([...common, "--source", "gitlab", "--secret", "x"]),
    runCli(["send", "--source", "github", "--file", body]),
  ]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('stack signed has no source "gitlab" (its sources: github, stripe, svix)');
  expect(noStack.code).toBe(2);
  expect(noStack.stderr).toContain("--source needs --stack NAME");
});
