/**
 * `npm run emulator`: what the `emulator` stack is planned and deployed against, in one command.
 * moto_server with the project's patches (./moto-server.ts) at WEBHOOK_QUEUE_EMULATOR_ENDPOINT
 * (default http://127.0.0.1:5000), and in it the "existing" HTTP API the stack adds its routes to
 * (./deploy.ts); then it runs until Ctrl-C. Where a moto_server answers already, it only creates
 * the API there (when missing) and exits.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { Command } from "commander";
import { EMULATOR_ENDPOINT_ENV, emulator } from "../../infrastructure/environments";
import { resolveSettings } from "../../infrastructure/settings";
import { parseCommandLine, UsageError } from "../shared/command-line";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { stackDirectory } from "../shared/stack-files";
import { createExistingHttpApi } from "./deploy";
import { startMotoServer } from "./moto-server";
import { isLoopbackUrl } from "../shared/loopback";
import { answers } from "./readiness";

// The SDK's notice that its 2027 releases need Node 22 would interleave with the lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const say = (line: string) => process.stdout.write(`[emulator] ${line}\n`);

function emulatorProgram(): Command {
  return new Command("npm run emulator").description(
    `Starts moto_server with the project's patches at $${EMULATOR_ENDPOINT_ENV} (default http://127.0.0.1:5000) and creates the\n` +
      "HTTP API the emulator stack adds its routes to, so that `npm run plan -- emulator` and `npm run deploy -- emulator` work;\n" +
      "runs until Ctrl-C (what was deployed into it goes with it). Where a moto_server answers already, only creates the API there.\n" +
      "The whole pipeline, deployed and running on 127.0.0.1, is `npm run local` instead.",
  );
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const parsed = parseCommandLine(emulatorProgram(), argv);
    if (parsed.help !== undefined) {
      process.stdout.write(`${parsed.help}\n`);
      return EXIT_OK;
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`npm run emulator: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const settings = resolveSettings(emulator(process.env));
  const endpoint = settings.emulator?.endpoint ?? "";
  if (!isLoopbackUrl(endpoint)) {
    process.stderr.write(
      `npm run emulator: ${EMULATOR_ENDPOINT_ENV}=${endpoint}: expected http://127.0.0.1:<port>, where it can start moto_server\n`,
    );
    return EXIT_USAGE;
  }
  const apigwName = settings.apigwName ?? "";
  const next = `npm run plan -- emulator, then npm run deploy -- emulator${process.env[EMULATOR_ENDPOINT_ENV] ? ` (with ${EMULATOR_ENDPOINT_ENV}=${endpoint})` : ""}`;

  if (await answers(endpoint)) {
    try {
      const apiId = await createExistingHttpApi(endpoint, apigwName, settings.region);
      say(`something answers at ${endpoint} already: the HTTP API "${apigwName}" is there (id ${apiId}); left running as it was`);
      say(`if it is a moto_server you started by hand, without the project's patches, a deploy waits 20 minutes: stop it and run npm run emulator`);
      say(`next: ${next}`);
      return EXIT_OK;
    } catch (error) {
      process.stderr.write(
        `npm run emulator: ${endpoint} answers, but not as moto_server (${(error as Error).message}): stop what listens there, or set ${EMULATOR_ENDPOINT_ENV}\n`,
      );
      return EXIT_FAILURE;
    }
  }

  const moto = await startMotoServer({ port: Number(new URL(endpoint).port) });
  let stopping = false;
  const stopped = new Promise<void>((done) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  try {
    const apiId = await createExistingHttpApi(moto.endpoint, apigwName, settings.region);
    say(`moto_server with the project's patches on ${moto.endpoint} (everything in it lives in memory, until it stops)`);
    say(`HTTP API "${apigwName}" (id ${apiId}) for the stack's routes, region ${settings.region}`);
    const state = settings.backend.kind === "local" ? resolve(stackDirectory(settings.stackName), settings.backend.path) : undefined;
    if (state && existsSync(state)) {
      say(`${relative(process.cwd(), state)} holds what an earlier emulator had, gone with it: remove it to plan afresh`);
    }
    say(`next, in another terminal: ${next}`);
    say("Ctrl-C stops it");
    await stopped;
  } finally {
    await moto.stop();
  }
  say("stopped");
  return EXIT_OK;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`npm run emulator: ${error.message}\n`);
    process.exit(EXIT_FAILURE);
  },
);
