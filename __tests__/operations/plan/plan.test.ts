/** planStack's checks of the stack folder, before any terraform runs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../src/operations/emulator/moto-server";
import { planStack } from "../../../src/operations/plan/plan";
import { ToolError } from "../../../src/operations/shared/command-line";

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), "plan-folder-"));
  mkdirSync(join(outputDir, "stacks", "emulator"), { recursive: true });
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

const plan = () => planStack({ stack: "emulator", outputDir, skipSynth: true, log: () => {} });

test("a folder with both cdk.tf.json and cdk.tf is refused in one line that says why and what to do", async () => {
  writeFileSync(join(outputDir, "stacks", "emulator", "cdk.tf.json"), "{}");
  writeFileSync(join(outputDir, "stacks", "emulator", "cdk.tf"), "");
  const error = await plan().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ToolError);
  const message = (error as ToolError).message;
  expect(message.split("\n")).toHaveLength(1);
  expect(message).toContain("holds both cdk.tf.json and cdk.tf");
  expect(message).toContain("declare every resource twice");
  expect(message).toContain("npm run synth");
});

test("a folder with neither names the stacks there are", async () => {
  mkdirSync(join(outputDir, "stacks", "mz-dev"));
  await expect(plan()).rejects.toThrow(`No stack "emulator" in ${outputDir} (stacks: emulator, mz-dev).`);
});

describe("the emulator stack, refused in one line before terraform runs, with the command that gives what is missing", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((closed) => (server ? server.close(closed) : closed(undefined)));
    server = undefined;
  });

  /** The emulator stack's JSON as synth writes it: the provider at `endpoint`, apigw_name's default. */
  const emulatorStack = (endpoint: string) =>
    writeFileSync(
      join(outputDir, "stacks", "emulator", "cdk.tf.json"),
      JSON.stringify({
        provider: { aws: [{ region: "ap-northeast-1", endpoints: [{ apigatewayv2: endpoint, sqs: endpoint }] }] },
        variable: { apigw_name: { default: "mz-dev-api" } },
      }),
    );

  /** An emulator whose API Gateway holds these HTTP APIs. */
  const emulatorWith = async (apiNames: readonly string[]) => {
    server = createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(request.url === "/v2/apis" ? JSON.stringify({ items: apiNames.map((name, i) => ({ apiId: `api${i}`, name })) }) : "{}");
    });
    await new Promise<void>((listening) => server!.listen(0, "127.0.0.1", listening));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  const refusal = async () => {
    const error = await plan().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolError);
    const message = (error as ToolError).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  };

  test("nothing answers at the endpoint: start `npm run emulator`, or `npm run local`", async () => {
    emulatorStack(`http://127.0.0.1:${await freePort()}`);
    const message = await refusal();
    expect(message).toMatch(
      /^Nothing answers at http:\/\/127\.0\.0\.1:\d+, where the emulator stack's AWS provider points \(WEBHOOK_QUEUE_EMULATOR_ENDPOINT\)/,
    );
    expect(message).toContain("`npm run emulator` (moto_server with the project's patches, and the HTTP API the stack looks up)");
    expect(message).toContain("`npm run local`");
    expect(message).not.toContain("moto_server -H");
  });

  test("an emulator without the HTTP API the stack looks up: `npm run emulator` creates it", async () => {
    const endpoint = await emulatorWith(["another-api"]);
    emulatorStack(endpoint);
    expect(await refusal()).toBe(
      `The emulator at ${endpoint} has no HTTP API named "mz-dev-api" (var.apigw_name), which the stack adds its routes to: ` +
        "`npm run emulator` creates it (in the moto_server already running there, too).",
    );
  });
});
