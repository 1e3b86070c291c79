/**
 * `npm run local`: the whole webhook path on 127.0.0.1.
 *
 *   caller -> local gateway (the stack's route + SQS-SendMessage integration)
 *          -> SQS FIFO queue in moto_server (DLQ by the queue's redrive policy)
 *          -> local event source mapping -> bundled forwarder in a Lambda-like sandbox
 *          -> dummy application (POST /application-hook, with a "release in progress" switch)
 *
 * The stack is the one `cdktf deploy emulator` synthesizes; only the forwarder's routes
 * (pointing at the dummy application) and a short function timeout are set for the rehearsal.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { deployEmulatorStack, EmulatorDeployment } from "../emulator/deploy";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../emulator/moto-server";
import { EMULATOR_FUNCTION_TIMEOUT_ENV, EMULATOR_ROUTES_ENV, emulator } from "../environments";
import { bundleForwarder, FORWARDER_FILE_NAME } from "../forwarder/bundle";
import { deterministicZip } from "../forwarder/zip";
import { ForwarderRoutes, resolveSettings } from "../settings";
import { readDeployedValues, readSynthesizedStack } from "./deployed-stack";
import { DummyApplication } from "./dummy-application";
import { LocalEventSourceMapping, readMappingConfiguration, takeOverFromMoto } from "./event-source-mapping";
import { gatewayRoutes, LocalGateway, startLocalGateway } from "./gateway";

/**
 * Function timeout, and so visibility timeout, of the rehearsal's stack: a failed webhook is
 * received again (and, with max_receive_count 1, moved to the DLQ) after 5 s instead of 60 s.
 */
export const REHEARSAL_FUNCTION_TIMEOUT_SECONDS = 5;

/** Where each progress line comes from: `[local]`, `[gateway]`, `[mapping]`, `[forwarder]`, `[app]`. */
export type Log = (source: string, line: string) => void;

export interface RehearsalOptions {
  readonly log: Log;
  /** Aborting stops a start in progress (the deploy included); what was started is stopped. */
  readonly signal: AbortSignal;
}

export interface Rehearsal {
  readonly moto: MotoServer;
  readonly deployment: EmulatorDeployment;
  readonly application: DummyApplication;
  readonly gateway: LocalGateway;
  readonly mapping: LocalEventSourceMapping;
  /** SQS on moto, for the smoke and the banner. */
  readonly sqs: SQSClient;
  /** The URL to POST webhooks to (the stack's route on the local gateway). */
  readonly webhookUrl: string;
  /** The group the stack's route writes, and a second one (another SaaS's route would). */
  readonly groups: { readonly route: string; readonly second: string };
  /** Stops everything in reverse order and removes the temporary folder; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts moto, the dummy application, deploys the stack, then the gateway and the pollers. */
export async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const { log, signal } = options;
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log("local", `while stopping: ${(error as Error).message}`);
      }
    }
  };
  const checkpoint = () => {
    if (signal.aborted) throw new RehearsalAborted();
  };

  try {
    const workDirectory = mkdtempSync(join(tmpdir(), "webhook-queue-local-"));
    cleanups.push(() => rmSync(workDirectory, { recursive: true, force: true }));

    const moto = await startMotoServer();
    cleanups.push(() => moto.stop());
    log("local", `moto_server on ${moto.endpoint}`);
    checkpoint();

    const application = new DummyApplication({ onLine: (line) => log("app", line) });
    await application.start();
    cleanups.push(() => application.stop());
    log("local", `dummy application on ${application.url} (POST /application-hook)`);

    const settings = resolveSettings(emulator({}));
    const groups = { route: settings.messageGroupId, second: `${settings.prefix}-second-saas` };
    const routes: ForwarderRoutes = Object.fromEntries(Object.values(groups).map((group) => [group, { application: application.hookUrl(group) }]));

    log("local", "deploying the emulator stack into moto_server with cdktf (about a minute and a half)…");
    const deployment = await deployEmulatorStack({
      endpoint: moto.endpoint,
      workDirectory,
      env: {
        [EMULATOR_ROUTES_ENV]: JSON.stringify(routes),
        [EMULATOR_FUNCTION_TIMEOUT_ENV]: String(REHEARSAL_FUNCTION_TIMEOUT_SECONDS),
      },
      signal,
      onResourceCreated: (address, after) => log("local", `  created ${address} (${after})`),
    });
    checkpoint();
    log("local", `deployed in ${deployment.seconds.toFixed(1)} s: queue ${deployment.outputs.queue_url}, DLQ ${deployment.outputs.dlq_url}`);

    const clientConfig = { endpoint: moto.endpoint, region: deployment.region, credentials: EMULATOR_CREDENTIALS };
    const sqs = new SQSClient(clientConfig);
    const lambda = new LambdaClient(clientConfig);
    cleanups.push(() => {
      sqs.destroy();
      lambda.destroy();
    });

    const stack = readSynthesizedStack(deployment.stackDirectory);
    const deployed = await readDeployedValues(deployment.stackDirectory);
    const gateway = await startLocalGateway({
      routes: gatewayRoutes(stack, deployed),
      sqs,
      apiId: deployment.apiId,
      onRequest: (line) => log("gateway", line),
    });
    cleanups.push(() => gateway.stop());
    for (const route of gateway.routes) {
      log("local", `gateway route ${route.routeKey} -> ${route.integrationSubtype ?? route.integrationType} ${JSON.stringify(route.requestParameters)}`);
    }
    const routePath = gateway.routes.find((route) => route.integrationSubtype === "SQS-SendMessage")?.routeKey.split(" ")[1] ?? "/";

    const bundle = bundleForwarder();
    const functionName = String(deployed.get("aws_lambda_function.webhook_event_producer")?.function_name ?? `${settings.prefix}-webhook-event-producer`);
    const mappingConfig = await readMappingConfiguration({ sqs, lambda }, functionName, dirname(bundle.file));
    const bundleSha256 = createHash("sha256")
      .update(deterministicZip([{ name: FORWARDER_FILE_NAME, data: bundle.code }]))
      .digest("base64");
    if (bundleSha256 !== mappingConfig.codeSha256) {
      throw new Error(
        `the forwarder bundle ${bundle.file} is not the deployed code (CodeSha256 ${mappingConfig.codeSha256}, bundle ${bundleSha256}): did lambda/forwarder change during the deploy?`,
      );
    }
    await takeOverFromMoto(lambda, mappingConfig.uuid);
    const mapping = new LocalEventSourceMapping(mappingConfig, {
      sqs,
      onLine: (line) => log("mapping", line),
      onFunctionLog: (line) => log("forwarder", line),
    });
    mapping.start();
    cleanups.push(() => mapping.stop());
    const fn = mappingConfig.function;
    log(
      "local",
      `event source mapping ${mappingConfig.uuid}: batch size ${mappingConfig.batchSize}, maximum concurrency ${mappingConfig.maximumConcurrency}, ` +
        `${mappingConfig.reportBatchItemFailures ? "ReportBatchItemFailures" : "no partial batch responses"} (polled here; moto's copy disabled); ` +
        `${fn.functionName} (${fn.handler}, timeout ${fn.timeoutSeconds} s) from ${bundle.file}; ` +
        `queue visibility timeout ${mappingConfig.visibilityTimeoutSeconds} s, DLQ after ${mappingConfig.maxReceiveCount ?? "-"} receive(s)`,
    );
    checkpoint();

    return {
      moto,
      deployment,
      application,
      gateway,
      mapping,
      sqs,
      webhookUrl: `${gateway.url}${routePath}`,
      groups,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Thrown when the start was interrupted (Ctrl-C); everything started so far has been stopped. */
export class RehearsalAborted extends Error {
  constructor() {
    super("interrupted");
    this.name = "RehearsalAborted";
  }
}
