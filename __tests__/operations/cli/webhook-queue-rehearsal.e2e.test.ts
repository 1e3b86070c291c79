/**
 * `webhook-queue --stack emulator` while `npm run local` runs: the rehearsal's endpoints.json
 * (here written by the test, as the rehearsal writes it, for queues and a mapping in a
 * moto_server of the test's) stands in for a stack with no deployed outputs of its own.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { EMULATOR_CREDENTIALS, emulatorClientEnv, freePort } from "../../../src/operations/emulator/moto-server";
import { LOCAL_DIR_ENV, RehearsalEndpoints } from "../../../src/operations/shared/running-rehearsal";
import { STACKS_DIR_ENV } from "../../../src/operations/shared/stack-files";
import { terraformEnv } from "../../../src/operations/terraform/provider-installation";
import { REGION, createQuarantineQueue, createQueuePair, jsonOf, runCli, useMotoServer } from "../../support/cli-harness";
import { createMappedFunction } from "../../support/moto-mappings";

jest.setTimeout(60_000);

const emulator = useMotoServer();
let scratch: string;
let received: { path: string; body: string; signature?: string }[];
let target: Server;
let targetUrl: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "webhook-queue-rehearsal-"));
  received = [];
  target = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push({ path: request.url ?? "", body, signature: request.headers["x-hub-signature-256"] as string | undefined });
      response.writeHead(200, { "content-type": "application/json" }).end('{"queued":true}');
    });
  });
  await new Promise<void>((listening) => target.listen(0, "127.0.0.1", listening));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((closed) => target?.close(closed));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** An operator's shell with no AWS credentials at all: the rehearsal's moto gets the emulator's own. */
function operatorEnv(localDir: string, stacksDir: string): NodeJS.ProcessEnv {
  const {
    AWS_ACCESS_KEY_ID: _key,
    AWS_SECRET_ACCESS_KEY: _secret,
    ...env
  } = emulatorClientEnv({
    [LOCAL_DIR_ENV]: localDir,
    [STACKS_DIR_ENV]: stacksDir,
  });
  return env;
}

/** The emulator stack as `npm run synth` leaves it on a fresh clone: synthesized, never initialized, no state. */
function synthesizedOnly(stacksDir: string): void {
  mkdirSync(join(stacksDir, "emulator"), { recursive: true });
  writeFileSync(
    join(stacksDir, "emulator", "cdk.tf.json"),
    JSON.stringify({ terraform: { backend: { local: { path: "terraform.emulator.tfstate" } } }, output: { queue_url: { value: "unused" } } }),
  );
}

/** The endpoints.json `npm run local` writes, for a rehearsal of process `pid`. */
function rehearsalFile(localDir: string, pid: number, outputs: RehearsalEndpoints["outputs"], stackDirectory: string): void {
  mkdirSync(localDir, { recursive: true });
  const endpoints: RehearsalEndpoints = {
    pid,
    stack: "emulator",
    gateway: targetUrl,
    moto: emulator.moto.endpoint,
    region: REGION,
    application: `${targetUrl}/application-hook`,
    control: targetUrl,
    webhooks: { default: `${targetUrl}/sqs-hook`, github: `${targetUrl}/webhooks/github` },
    queueUrl: outputs.queue_url ?? "",
    dlqUrl: outputs.dlq_url ?? "",
    outputs,
    stackDirectory,
    logFile: join(localDir, "rehearsal.log"),
  };
  writeFileSync(join(localDir, "endpoints.json"), JSON.stringify(endpoints, null, 2));
}

async function rehearsedStack(name: string) {
  const pair = await createQueuePair(emulator.sqs, name, { redriveAllowPolicy: true });
  const quarantine = await createQuarantineQueue(emulator.sqs, name);
  const mapping = await createMappedFunction({ endpoint: emulator.moto.endpoint, region: REGION }, pair.queueArn, `${name}-forwarder`);
  const outputs = {
    queue_url: pair.queueUrl,
    dlq_url: pair.dlqUrl,
    quarantine_url: quarantine.url,
    apigateway_endpoint: targetUrl,
    webhook_sources: {
      default: { route_key: "POST /sqs-hook", url: `${targetUrl}/sqs-hook` },
      github: { route_key: "POST /webhooks/github", url: `${targetUrl}/webhooks/github`, signature: { scheme: "github" } },
    },
  };
  const stackDirectory = join(scratch, name, "rehearsal-stack");
  mkdirSync(stackDirectory, { recursive: true });
  const route = { aws_apigatewayv2_route: { webhook_event_route: { api_id: "x", route_key: "POST /sqs-hook" } } };
  writeFileSync(join(stackDirectory, "cdk.tf.json"), JSON.stringify({ resource: route }));
  return { pair, quarantine, mapping, outputs, stackDirectory, localDir: join(scratch, name, "local"), stacksDir: join(scratch, name, "stacks") };
}

test("status --stack emulator uses the running rehearsal's outputs and moto_server, and says who polls the mapping", async () => {
  const stack = await rehearsedStack("rehearsed");
  synthesizedOnly(stack.stacksDir);
  rehearsalFile(stack.localDir, process.pid, stack.outputs, stack.stackDirectory);
  const env = operatorEnv(stack.localDir, stack.stacksDir);

  const status = await runCli(["status", "--stack", "emulator"], { env });
  expect(status.stderr).toContain(
    `webhook-queue: using the running \`npm run local\` rehearsal (pid ${process.pid}, moto_server ${emulator.moto.endpoint}): stack emulator has no deployed outputs of its own`,
  );
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(stack.pair.queueUrl);
  expect(status.stdout).toContain(stack.quarantine.url);
  expect(status.stdout).toContain(
    `event source mapping ${stack.mapping.uuid}: Enabled, function ${stack.mapping.functionArn}, batch size 10\n` +
      `  polled by \`npm run local\`'s local event source mapping (pid ${process.pid}; moto cannot invoke Lambda): Enabled, so it polls the queue and delivers`,
  );

  const pause = await runCli(["pause", "--stack", "emulator", "--yes", "--json"], { env });
  expect(pause.code).toBe(0);
  const paused = await runCli(["status", "--stack", "emulator"], { env });
  expect(paused.stdout).toContain("Disabled = paused, so it does not poll until webhook-queue resume");
});

test("an explicit --endpoint-url wins over the rehearsal's moto_server; a rehearsal whose process is gone is not used", async () => {
  const stack = await rehearsedStack("overridden");
  synthesizedOnly(stack.stacksDir);
  rehearsalFile(stack.localDir, process.pid, stack.outputs, stack.stackDirectory);
  const closed = `http://127.0.0.1:${await freePort()}`;
  const elsewhere = await runCli(["status", "--stack", "emulator", "--endpoint-url", closed, "--region", REGION], {
    env: emulatorClientEnv({ [LOCAL_DIR_ENV]: stack.localDir, [STACKS_DIR_ENV]: stack.stacksDir }),
  });
  expect(elsewhere.stderr).toContain(`; calls go to --endpoint-url ${closed}`);
  expect(elsewhere.code).toBe(1);
  expect(elsewhere.stderr).toContain(closed);

  const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
  rehearsalFile(stack.localDir, gone, stack.outputs, stack.stackDirectory);
  const stale = await runCli(["status", "--stack", "emulator"], { env: operatorEnv(stack.localDir, stack.stacksDir) });
  expect(stale.code).toBe(1);
  expect(stale.stderr).not.toContain("npm run local");
  expect(stale.stderr).toContain("cannot read the outputs of stack emulator");
});

test("a stack with deployed outputs of its own keeps them, rehearsal or not", async () => {
  const stack = await rehearsedStack("deployed");
  const own = await createQueuePair(emulator.sqs, "deployed-own");
  const dir = join(stack.stacksDir, "emulator");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify({ output: { queue_url: { value: own.queueUrl }, dlq_url: { value: own.dlqUrl } } }));
  execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env: terraformEnv(), stdio: "pipe" });
  execFileSync("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir, env: terraformEnv(), stdio: "pipe" });
  rehearsalFile(stack.localDir, process.pid, stack.outputs, stack.stackDirectory);

  const status = await runCli(["status", "--stack", "emulator", "--endpoint-url", emulator.moto.endpoint, "--region", REGION, "--json"], {
    env: emulatorClientEnv({ [LOCAL_DIR_ENV]: stack.localDir, [STACKS_DIR_ENV]: stack.stacksDir }),
  });
  expect(status.stderr).not.toContain("npm run local");
  expect(jsonOf(status).queue.url).toBe(own.queueUrl);
});

test("send --stack emulator posts to the rehearsal's routes, signed with a secret from its moto_server's SSM", async () => {
  const stack = await rehearsedStack("sending");
  rehearsalFile(stack.localDir, process.pid, stack.outputs, stack.stackDirectory);
  const ssm = new SSMClient({ endpoint: emulator.moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
  await ssm.send(new PutParameterCommand({ Name: "/rehearsal/github-secret", Value: "rehearsal-secret", Type: "SecureString" }));
  ssm.destroy();
  const env = operatorEnv(stack.localDir, join(scratch, "no-stacks-here"));
  received.length = 0;

  const plain = await runCli(["send", "--stack", "emulator", "--sample"], { env });
  expect(plain.code).toBe(0);
  const signed = await runCli(["send", "--stack", "emulator", "--source", "github", "--secret-parameter", "/rehearsal/github-secret", "--sample"], {
    env,
  });
  expect(signed.stderr).toContain("using the running `npm run local` rehearsal");
  expect(signed.code).toBe(0);
  expect(received.map((request) => request.path)).toEqual(["/sqs-hook", "/webhooks/github"]);
  expect(received[1].signature).toMatch(/^sha256=[0-9a-f]{64}$/);
});
