/**
 * `npm run emulator`: moto_server with the project's patches and the "existing" HTTP API, so that
 * `npm run plan -- emulator` plans instead of refusing; run again beside it, it only makes sure
 * of the API; Ctrl-C stops moto_server.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiGatewayV2Client, GetApisCommand } from "@aws-sdk/client-apigatewayv2";
import { EMULATOR_ENDPOINT_ENV } from "../../../src/infrastructure/environments";
import { EMULATOR_CREDENTIALS, freePort } from "../../../src/operations/emulator/moto-server";
import { answers } from "../../../src/operations/emulator/readiness";
import { PROJECT_ROOT } from "../../../src/project";

jest.setTimeout(180_000);

interface Finished {
  readonly code: number | null;
  readonly output: string;
}

function finished(child: ChildProcess, onOutput?: (output: string) => void): Promise<Finished> {
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.(output);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return new Promise((done) => child.once("close", (code) => done({ code, output })));
}

const npm = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  finished(spawn("npm", ["run", "--silent", ...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] }));

let scratch: string;
let emulator: ChildProcess | undefined;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "npm-run-emulator-"));
});
afterAll(() => {
  if (emulator?.exitCode === null) emulator.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

test("npm run emulator starts what npm run plan -- emulator needs; again beside it, it only checks the API; Ctrl-C stops it", async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const env = { ...process.env, [EMULATOR_ENDPOINT_ENV]: endpoint };

  emulator = spawn(process.execPath, ["--import", "tsx", "src/operations/emulator/main.ts"], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let ready: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const exited = finished(emulator, (output) => output.includes("Ctrl-C stops it") && ready());
  await Promise.race([started, exited.then(({ output }) => Promise.reject(new Error(`npm run emulator exited:\n${output}`)))]);

  const apigateway = new ApiGatewayV2Client({ endpoint, region: "ap-northeast-1", credentials: EMULATOR_CREDENTIALS });
  const apis = (await apigateway.send(new GetApisCommand({}))).Items ?? [];
  apigateway.destroy();
  expect(apis.map((api) => api.Name)).toEqual(["mz-dev-api"]);

  const plan = await npm(["plan", "--", "emulator", "--output", join(scratch, "cdktf.out")], env);
  expect(plan.output).not.toContain("npm run emulator");
  expect(plan.code).toBe(0);
  expect(plan.output).toMatch(/create: \d+/);

  const again = await npm(["emulator"], env);
  expect(again.code).toBe(0);
  expect(again.output).toContain(`something answers at ${endpoint} already: the HTTP API "mz-dev-api" is there`);

  emulator.kill("SIGINT");
  const stopped = await exited;
  expect(stopped.code).toBe(0);
  expect(stopped.output).toContain(`[emulator] moto_server with the project's patches on ${endpoint}`);
  expect(stopped.output).toMatch(/\[emulator\] stopped\n$/);
  expect(await answers(endpoint, 1000)).toBe(false);
});
