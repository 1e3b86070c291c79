/**
 * `send` against a real HTTP server on 127.0.0.1 (and where its signing secret may come from),
 * and `--stack NAME` against a real terraform state (a local-backend apply of output blocks)
 * plus the synthesized route.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { IncomingHttpHeaders, Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Webhook } from "standardwebhooks";
import { EMULATOR_CREDENTIALS, freePort } from "../../../src/operations/emulator/moto-server";
import { terraformEnv } from "../../../src/operations/terraform/provider-installation";
import {
  REGION,
  cliEnv,
  createQuarantineQueue,
  createQueuePair,
  jsonOf,
  putMessages,
  putQuarantined,
  queueCounts,
  runCli,
  useMotoServer,
} from "../../support/cli-harness";
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
let workDir: string;
const emulator = useMotoServer();

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
  workDir = mkdtempSync(join(tmpdir(), "webhook-queue-cli-"));
});

afterAll(async () => {
  await new Promise((resolveClose) => server?.close(resolveClose));
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
  const { sqs, moto } = emulator;
  const pair = await createQueuePair(sqs, "stack-webhook-queue");
  const quarantine = await createQuarantineQueue(sqs, "stack-webhook-queue");
  await putMessages(sqs, pair.dlqUrl, { "mz-dev-sqs-webhook": 2 });
  await putQuarantined(sqs, quarantine.url, { source: "github", groupId: "github:r1", webhookId: "d-1" });
  const stacksDir = join(workDir, "stacks");
  applyStack(stacksDir, "mz-dev", {
    queue_url: pair.queueUrl,
    queue_arn: pair.queueArn,
    dlq_url: pair.dlqUrl,
    dlq_arn: pair.dlqArn,
    quarantine_url: quarantine.url,
    quarantine_arn: quarantine.arn,
    apigateway_endpoint: baseUrl,
    apigateway_id: "abc123",
  });
  const aws = ["--endpoint-url", moto.endpoint, "--region", REGION];

  const [status, sent, missing] = await Promise.all([
    runCli(["status", ...aws, "--stack", "mz-dev", "--stacks-dir", stacksDir, "--json"]),
    runCli(["send", "--stack", "mz-dev", "--stacks-dir", stacksDir, "--sample"]),
    runCli(["status", ...aws, "--stack", "mz-prod", "--stacks-dir", stacksDir]),
  ]);
  // Each holds its own queue's messages for a moment, after status has counted them.
  const [peek, listed] = await Promise.all([
    // An operator's machine without a provider mirror (the registry's way): `terraform output` installs no provider.
    runCli(["peek", ...aws, "--stack", "mz-dev", "--json"], {
      env: cliEnv({ WEBHOOK_QUEUE_STACKS_DIR: stacksDir, WEBHOOK_QUEUE_PROVIDER_MIRROR: "registry" }),
    }),
    runCli(["quarantine", "list", ...aws, "--stack", "mz-dev", "--stacks-dir", stacksDir, "--json"]),
  ]);
  expect(status.code).toBe(0);
  expect(jsonOf(status)).toMatchObject({
    queue: { url: pair.queueUrl },
    dlq: { url: pair.dlqUrl, visible: 2 },
    quarantine: { url: quarantine.url, visible: 1 },
  });
  expect(listed.code).toBe(0);
  expect(jsonOf(listed)).toMatchObject({ from: "quarantine", queueUrl: quarantine.url, count: 1 });
  expect(peek.code).toBe(0);
  expect(jsonOf(peek)).toMatchObject({ queueUrl: pair.dlqUrl, count: 2 });
  expect(sent.code).toBe(0);
  expect(requests).toEqual([expect.objectContaining({ method: "POST", path: "/sqs-hook" })]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`stack mz-prod not found: ${join(stacksDir, "mz-prod")} does not exist`);
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  expect(await queueCounts(sqs, quarantine.url)).toEqual({ visible: 1, inFlight: 0 });
});

test("send --source signs as the source's provider does, with a secret from a file, stdin, the environment or SSM: GitHub's, Stripe's and the Standard Webhooks libraries verify it", async () => {
  const { moto } = emulator;
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
  const secretFile = join(workDir, "github-secret");
  writeFileSync(secretFile, "gh-secret\n"); // as `echo` or an editor leaves it: the newline is not part of the secret
  const common = ["send", "--stack", "signed", "--stacks-dir", stacksDir, "--file", body];
  const whsec = `whsec_${Buffer.from("a standard webhooks secret, 32 b").toString("base64")}`;
  const ssm = new SSMClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  await ssm.send(new PutParameterCommand({ Name: "/webhooks/github/secret", Value: "from-ssm", Type: "SecureString" }));
  ssm.destroy();

  const runs = [
    await runCli([...common, "--source", "github", "--secret-file", secretFile]),
    await runCli([...common, "--source", "stripe"], { env: cliEnv({ WEBHOOK_QUEUE_SIGNING_SECRET: "whsec_stripe" }) }),
    await runCli([...common, "--source", "svix", "--secret-file", "-"], { input: `${whsec}\n` }),
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

  const [unknown, noStack, unsigned] = await Promise.all([
    runCli([...common, "--source", "gitlab", "--secret-file", secretFile]),
    runCli(["send", "--source", "github", "--file", body]),
    runCli(["send", "--url", `${baseUrl}/sqs-hook`, "--file", body], { env: cliEnv({ WEBHOOK_QUEUE_SIGNING_SECRET: "whsec_stripe" }) }),
  ]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('stack signed has no source "gitlab" (its sources: github, stripe, svix)');
  expect(noStack.code).toBe(2);
  expect(noStack.stderr).toContain("--source needs --stack NAME");
  expect(unsigned.code).toBe(2);
  expect(unsigned.stderr).toContain("signing with the secret from WEBHOOK_QUEUE_SIGNING_SECRET needs --source NAME");
  expect(requests).toHaveLength(4);
});

test("send refuses a secret on the command line, naming the ways to give one, and an empty or ambiguous secret; nothing is sent", async () => {
  const url = `${baseUrl}/sqs-hook`;
  const emptyFile = join(workDir, "empty-secret");
  writeFileSync(emptyFile, "\n");
  const secretFile = join(workDir, "a-secret");
  writeFileSync(secretFile, "s3cr3t");
  const [onCommandLine, bare, asJson, empty, emptyEnv, missing, twoWays, twoStdins] = await Promise.all([
    runCli(["send", "--url", url, "--sample", "--secret", "s3cr3t-on-the-command-line"]),
    runCli(["send", "--url", url, "--sample", "--secret"]),
    runCli(["send", "--url", url, "--sample", "--secret=s3cr3t-on-the-command-line", "--json"]),
    runCli(["send", "--url", url, "--sample", "--secret-file", emptyFile]),
    runCli(["send", "--url", url, "--sample"], { env: cliEnv({ WEBHOOK_QUEUE_SIGNING_SECRET: "" }) }),
    runCli(["send", "--url", url, "--sample", "--secret-file", join(workDir, "no-such-secret")]),
    runCli(["send", "--url", url, "--sample", "--secret-file", secretFile, "--secret-parameter", "/webhooks/github/secret"]),
    runCli(["send", "--url", url, "--file", "-", "--secret-file", "-"], { input: "s3cr3t" }),
  ]);
  const refusal =
    "webhook-queue: --secret is refused: a secret on the command line shows in the process list and stays in the shell history. " +
    "Give it with --secret-file FILE (or --secret-file - for stdin), the environment variable WEBHOOK_QUEUE_SIGNING_SECRET, " +
    "or --secret-parameter NAME (SSM)\n";
  expect(onCommandLine).toMatchObject({ code: 2, stdout: "", stderr: refusal });
  expect(bare).toMatchObject({ code: 2, stderr: refusal });
  expect(asJson.code).toBe(2);
  expect(jsonOf(asJson)).toEqual({ error: refusal.replace(/^webhook-queue: /, "").trimEnd(), exitCode: 2 });
  expect(asJson.stdout + asJson.stderr).not.toContain("s3cr3t");
  expect(empty.code).toBe(2);
  expect(empty.stderr).toContain(`the signing secret from --secret-file ${emptyFile} is empty: give a secret with --secret-file FILE`);
  expect(emptyEnv.code).toBe(2);
  expect(emptyEnv.stderr).toContain("the signing secret from WEBHOOK_QUEUE_SIGNING_SECRET is empty");
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`--secret-file ${join(workDir, "no-such-secret")} cannot be read: ENOENT`);
  expect(twoWays.code).toBe(2);
  expect(twoWays.stderr).toContain("give --secret-file or --secret-parameter, not both");
  expect(twoStdins.code).toBe(2);
  expect(twoStdins.stderr).toContain("--secret-file - and --file - both read stdin");
  expect(requests).toEqual([]);
});
