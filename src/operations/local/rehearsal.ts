/**
 * `npm run local`: the whole webhook path on 127.0.0.1.
 *
 *   caller -> local gateway (the stack's route + SQS-SendMessage integration)
 *          -> SQS FIFO queue in moto_server (DLQ by the queue's redrive policy)
 *          -> local event source mapping -> bundled forwarder in a Lambda-like sandbox
 *          -> local gateway (the application's route + AWS_PROXY integration)
 *          -> the stack's dummy application Lambda, bundled, in a sandbox of its own
 *
 * The stack is the one `cdktf deploy emulator` synthesizes; the rehearsal only sets a short
 * function timeout and routes for two message groups. The forwarder's targets are the
 * deployed ones, with the existing API's endpoint served by the local gateway.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EmfMetrics } from "./emf-metrics";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bundleLambda, LambdaName, lambdaZip } from "../../infrastructure/bundling/bundle";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { FORWARDER_ENV, parseRetryPolicy, SourceConfig } from "../../../lambda/forwarder/contract";
import { EMULATOR_SETTINGS_ENV, emulator, mergeSettings, readOverlay } from "../../infrastructure/environments";
import { ResolvedSettings, resolveSettings, routeKeyPath, WebhookQueueSettings } from "../../infrastructure/settings";
import { writeFileAtomically } from "../../files";
import { queueNameOfUrl } from "../shared/queue-pair";
import { endpointsFile, RehearsalEndpoints } from "../shared/running-rehearsal";
import { StackOutputs } from "../shared/stack-files";
import { deployEmulatorStack, EmulatorDeployment } from "../emulator/deploy";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../emulator/moto-server";
import { RehearsalApplication } from "./application";
import { readDeployedValues, readSynthesizedStack } from "../shared/stack-files";
import { DeployedFunction, readDeployedFunction, readFunctionPolicy } from "./deployed-stack";
import { LocalEventSourceMapping, readMappingConfiguration } from "./event-source-mapping";
import { gatewayRoutes } from "./gateway/routes";
import { LocalGateway, startLocalGateway } from "./gateway/server";
import { HttpAnswer, LoopbackServer, serveHttp } from "./http-server";
import { SandboxPool } from "./lambda-sandbox";
import { IssuedRoles } from "./iam-emulation";
import { Log, WEBHOOK_EVENTS } from "./rehearsal-log";
import { WebhookEvents } from "./webhook-events";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

/** Function timeout, and so visibility timeout, of the rehearsal's stack. */
export const REHEARSAL_FUNCTION_TIMEOUT_SECONDS = 5;

/**
 * Where each line comes from: `[local]`, `[gateway]`, `[mapping]`, `[forwarder]`, `[application]` (its log),
 * `[app]` (the release switch, each delivery), `[metrics]`; and the webhook event lines (./webhook-events.ts).
 */
export type { Log } from "./rehearsal-log";
/** JSON `{"<SSM parameter name>": "<secret>"}`: created as SecureStrings in the emulator before the deploy. */
export const EMULATOR_SECRETS_ENV = "WEBHOOK_QUEUE_EMULATOR_SECRETS";

export interface RehearsalOptions {
  readonly log: Log;
  /** The file the log writes, for endpoints.json. */
  readonly logFile?: string;
  /** Settings merged over the emulator environment's, after the user's overlay (the smoke's sources). */
  readonly overlay?: Partial<WebhookQueueSettings>;
  /** More secrets to create (the smoke's), besides WEBHOOK_QUEUE_EMULATOR_SECRETS. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Aborting stops a start in progress (the deploy included); what was started is stopped. */
  readonly signal: AbortSignal;
}

export interface Rehearsal {
  readonly moto: MotoServer;
  readonly deployment: EmulatorDeployment;
  readonly application: RehearsalApplication;
  /** `POST {"inProgress": true|false}` to `<controlUrl>/release` flips the release switch; `GET` reads it. */
  readonly controlUrl: string;
  readonly gateway: LocalGateway;
  readonly mapping: LocalEventSourceMapping;
  /** SQS on moto, for the smoke and the banner. */
  readonly sqs: SQSClient;
  /** The URL to POST webhooks to (the stack's route on the local gateway). */
  readonly webhookUrl: string;
  /** The stack's settings as deployed (sources, routes, timeouts). */
  readonly settings: ResolvedSettings;
  /** Each source's webhook URL on the local gateway. */
  readonly webhookUrls: Readonly<Record<string, string>>;
  /** Where everything listens, as written to .build/local/endpoints.json (with the pid and the stack's outputs). */
  readonly endpoints: RehearsalEndpoints;
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

    const clientConfig = { endpoint: moto.endpoint, region: emulator({}).region, credentials: EMULATOR_CREDENTIALS };
    const secrets = { ...parseSecretsEnv(process.env[EMULATOR_SECRETS_ENV]), ...options.secrets };
    await createSecrets(clientConfig, secrets);
    if (Object.keys(secrets).length > 0) log("local", `secrets in the emulator's SSM Parameter Store: ${Object.keys(secrets).join(", ")}`);

    // The rehearsal's short timeouts, then the user's overlay, then the caller's (the smoke's).
    const userOverlayFile = process.env[EMULATOR_SETTINGS_ENV];
    const overlays = mergeSettings(userOverlayFile ? readOverlay(userOverlayFile) : {}, options.overlay ?? {});
    const overlay = mergeSettings(rehearsalSettings(overlays), overlays);
    const overlayFile = join(workDirectory, "emulator-settings.json");
    writeFileSync(overlayFile, JSON.stringify(overlay, null, 2));
    const settings = resolveSettings(emulator({ ...process.env, [EMULATOR_SETTINGS_ENV]: overlayFile }));
    log(
      "local",
      `sources: ${Object.values(settings.sources)
        .map((source) => `${source.name} (${source.routeKey}${source.signature ? `, ${source.signature.scheme}` : ""})`)
        .join(", ")}`,
    );

    log("local", "deploying the emulator stack into moto_server with cdktf (about two and a half minutes)…");
    let created = 0;
    const deployment = await deployEmulatorStack({
      endpoint: moto.endpoint,
      workDirectory,
      env: { [EMULATOR_SETTINGS_ENV]: overlayFile },
      signal,
      onResourceCreated: (address, after) => {
        created++;
        log.detail("local", `  created ${address} (${after})`);
      },
    });
    checkpoint();
    log.detail("local", `deployed: queue ${deployment.outputs.queue_url}, DLQ ${deployment.outputs.dlq_url}`);
    const queueName = (url: string | undefined) => (url ? queueNameOfUrl(url) : "-");
    log(
      "local",
      `deployed in ${deployment.seconds.toFixed(1)} s (${created} resources): queue ${queueName(deployment.outputs.queue_url)}, DLQ ${queueName(deployment.outputs.dlq_url)}`,
    );

    const sqs = new SQSClient(clientConfig);
    const lambda = new LambdaClient(clientConfig);
    const sts = new STSClient(clientConfig);
    const iam = new IAMClient(clientConfig);
    cleanups.push(() => {
      for (const client of [sqs, lambda, sts, iam]) client.destroy();
    });
    // Each function runs with its role's temporary credentials; the gateway checks IAM routes against them.
    const roles = new IssuedRoles({ sts, iam }, deployment.region);

    const stack = readSynthesizedStack(deployment.stackDirectory);
    const deployed = await readDeployedValues(deployment.stackDirectory);
    const api = deployed.get("data.aws_apigatewayv2_api.this") ?? {};

    const application = new RehearsalApplication({
      routeKey: settings.application.routeKey,
      onLine: (line) => log("app", line),
      onDelivery: (line, delivery) => {
        log.detail("app", line);
        events.applicationReceived(delivery.webhookId, delivery.body);
      },
    });
    const functionName = (address: string) => String(deployed.get(address)?.function_name ?? "");
    const applicationFunction = await deployedBundle(lambda, functionName("aws_lambda_function.webhook_application"), "webhook-application");
    const applicationRole = await roles.assume(applicationFunction.roleArn, applicationFunction.config.functionName);
    const applicationSandboxes = new SandboxPool(applicationFunction.config, {
      aws: { endpoint: moto.endpoint, ...applicationRole },
      onLog: (line) => {
        log.detail("application", line);
        application.readLogLine(line);
      },
    });
    cleanups.push(() => applicationSandboxes.stop());

    const forwarder = await deployedBundle(lambda, functionName("aws_lambda_function.webhook_event_producer"), "forwarder");
    const mappingConfig = await readMappingConfiguration({ sqs, lambda }, forwarder.config.functionName, forwarder.config.codeDirectory);
    // One line per webhook event, from the gateway's requests, the mapping's batches and the forwarder's log.
    const events = new WebhookEvents({
      forwarderEnvironment: mappingConfig.function.environment,
      visibilityTimeoutSeconds: mappingConfig.visibilityTimeoutSeconds,
      maxReceiveCount: mappingConfig.maxReceiveCount,
      onLine: (line) => log(WEBHOOK_EVENTS, line),
    });
    // Stopped after the pollers (cleanups run in reverse): the last delivered lines are told.
    cleanups.push(() => events.close());
    const gateway = await startLocalGateway({
      routes: gatewayRoutes(stack, deployed),
      sqs,
      apiId: deployment.apiId,
      executionArn: String(api.execution_arn),
      iam: roles,
      lambda: {
        invoke: async (functionArn, event) => {
          if (functionArn !== applicationFunction.config.functionArn) throw new Error(`the rehearsal runs no function ${functionArn}`);
          return applicationSandboxes.invoke(event);
        },
        policy: (functionArn) => readFunctionPolicy(lambda, functionArn),
      },
      onRequest: (line, request) => {
        log.detail("gateway", line);
        events.gatewayRequest(request);
      },
    });
    cleanups.push(() => gateway.stop());
    for (const route of gateway.routes) {
      const integration = route.integrationSubtype ?? `${route.integrationType} ${route.integrationUri?.split(":").slice(-2, -1)[0] ?? ""}`.trim();
      log.detail("local", `gateway route ${route.routeKey} -> ${integration} ${JSON.stringify(route.requestParameters)}`);
    }
    log(
      "local",
      `gateway routes: ${gateway.routes.map((route) => `${route.routeKey} (${route.integrationSubtype ?? route.integrationType})`).join(", ")}`,
    );
    application.servedBy(gateway);
    const control = await serveReleaseSwitch(application);
    cleanups.push(() => control.stop());
    const webhookUrls = Object.fromEntries(
      Object.values(settings.sources).map((source) => [source.name, `${gateway.url}${routeKeyPath(source.routeKey)}`]),
    );

    const localTargets = servedLocally(mappingConfig.function.environment, String(api.api_endpoint), gateway.url);
    const endpoints: RehearsalEndpoints = {
      pid: process.pid,
      stack: settings.stackName,
      gateway: gateway.url,
      moto: moto.endpoint,
      region: deployment.region,
      application: application.url,
      control: control.url,
      webhooks: webhookUrls,
      queueUrl: deployment.outputs.queue_url ?? "",
      dlqUrl: deployment.outputs.dlq_url ?? "",
      outputs: outputsServedLocally(deployment.outputs, String(api.api_endpoint), gateway.url),
      stackDirectory: deployment.stackDirectory,
      logFile: options.logFile ?? "",
    };
    const endpointsText = `${JSON.stringify(endpoints, null, 2)}\n`;
    const endpointsPath = endpointsFile();
    writeFileAtomically(endpointsPath, endpointsText);
    // Another rehearsal may have written its own since: that one is left alone.
    cleanups.push(() => {
      if (existsSync(endpointsPath) && readFileSync(endpointsPath, "utf8") === endpointsText) rmSync(endpointsPath, { force: true });
    });
    const forwarderRole = await roles.assume(forwarder.roleArn, forwarder.config.functionName);
    // CloudWatch Logs' part: the forwarder's EMF lines become metrics in the emulator (status, the dashboard).
    const cloudwatch = new CloudWatchClient({ region: deployment.region, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
    const metrics = new EmfMetrics(cloudwatch, (line) => log("metrics", line));
    cleanups.push(async () => {
      await metrics.flush();
      cloudwatch.destroy();
    });
    const retryPolicy = parseRetryPolicy(localTargets[FORWARDER_ENV.retryPolicy]);
    const mapping = new LocalEventSourceMapping(
      { ...mappingConfig, function: { ...mappingConfig.function, environment: localTargets } },
      {
        sqs,
        lambda,
        onLine: (line) => log("mapping", line),
        onBatchLine: (line) => log.detail("mapping", line),
        onFunctionLog: (line) => {
          metrics.readLogLine(line);
          log.detail("forwarder", line);
          events.forwarderLog(line);
        },
        onBatch: (records) => events.batch(records),
        onSettled: (batch) => events.settled(batch),
        functionAws: { endpoint: moto.endpoint, ...forwarderRole },
      },
    );
    mapping.start();
    cleanups.push(() => mapping.stop());
    const fn = mappingConfig.function;
    log(
      "local",
      `event source mapping: batch size ${mappingConfig.batchSize}, concurrency ${mappingConfig.maximumConcurrency}; ` +
        (retryPolicy
          ? `retries inside the queue for ${retryPolicy.maxAgeSeconds} s (backoff ${retryPolicy.initialDelaySeconds}-${retryPolicy.maxDelaySeconds} s); `
          : `a failure back after the ${mappingConfig.visibilityTimeoutSeconds} s visibility timeout; `) +
        "polled while moto's copy is Enabled",
    );
    log.detail(
      "local",
      `event source mapping ${mappingConfig.uuid}: batch size ${mappingConfig.batchSize}, maximum concurrency ${mappingConfig.maximumConcurrency}, ` +
        `${mappingConfig.reportBatchItemFailures ? "ReportBatchItemFailures" : "no partial batch responses"} (polled here while moto's copy is Enabled: webhook-queue pause / resume); ` +
        `${fn.functionName} (${fn.handler}, timeout ${fn.timeoutSeconds} s) from ${fn.codeDirectory}; ` +
        `queue visibility timeout ${mappingConfig.visibilityTimeoutSeconds} s, DLQ after ${mappingConfig.maxReceiveCount ?? "-"} receive(s); ` +
        `its sources: ${localTargets[FORWARDER_ENV.sources]}`,
    );
    checkpoint();

    return {
      moto,
      deployment,
      application,
      controlUrl: control.url,
      gateway,
      mapping,
      sqs,
      webhookUrl: webhookUrls[settings.defaultSource],
      webhookUrls,
      settings,
      endpoints,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A deployed function and the bundle that is its code: refused when they differ (the
 * rehearsal would run other code than the one deployed).
 */
async function deployedBundle(lambda: LambdaClient, functionName: string, name: LambdaName): Promise<DeployedFunction> {
  const bundle = bundleLambda(name);
  const deployedFunction = await readDeployedFunction(lambda, functionName, dirname(bundle.file));
  const { sha256Base64 } = lambdaZip(bundle);
  if (sha256Base64 !== deployedFunction.codeSha256) {
    throw new Error(
      `the bundle ${bundle.file} is not the deployed code of ${functionName} (CodeSha256 ${deployedFunction.codeSha256}, bundle ${sha256Base64}): did lambda/${name} change during the deploy?`,
    );
  }
  return deployedFunction;
}

/** A URL on the existing API's endpoint as the local gateway serves it; any other URL unchanged. */
function onGateway(url: string, apiEndpoint: string, gatewayUrl: string): string {
  return url.startsWith(apiEndpoint) ? `${gatewayUrl}${url.slice(apiEndpoint.length)}` : url;
}

/**
 * The forwarder's environment with the existing API's endpoint served by the local gateway
 * (as a hosts-file entry would), refused unless every target is then on 127.0.0.1: the
 * rehearsal never sends a webhook anywhere else.
 */
export function servedLocally(environment: Readonly<Record<string, string>>, apiEndpoint: string, gatewayUrl: string): Record<string, string> {
  const sources = JSON.parse(environment[FORWARDER_ENV.sources] ?? "{}") as Record<string, SourceConfig>;
  const local = Object.fromEntries(
    Object.entries(sources).map(([name, source]) => [
      name,
      {
        ...source,
        targets: Object.fromEntries(
          Object.entries(source.targets).map(([target, config]) => [target, { ...config, url: onGateway(config.url, apiEndpoint, gatewayUrl) }]),
        ),
      },
    ]),
  );
  for (const [name, source] of Object.entries(local)) {
    for (const [target, config] of Object.entries(source.targets)) {
      if (!URL.canParse(config.url) || new URL(config.url).hostname !== "127.0.0.1") {
        throw new Error(
          `${FORWARDER_ENV.sources}["${name}"].targets["${target}"] = ${config.url} is not on 127.0.0.1 (nor on the API endpoint ${apiEndpoint}): the rehearsal sends webhooks nowhere else`,
        );
      }
    }
  }
  return { ...environment, [FORWARDER_ENV.sources]: JSON.stringify(local) };
}

/** The stack's outputs as the rehearsal serves them: the API endpoint, and each source's URL, on the local gateway. */
export function outputsServedLocally(outputs: StackOutputs, apiEndpoint: string, gatewayUrl: string): StackOutputs {
  const local = (url: string) => (apiEndpoint ? onGateway(url, apiEndpoint, gatewayUrl) : url);
  return {
    ...outputs,
    ...(outputs.apigateway_endpoint !== undefined && { apigateway_endpoint: local(outputs.apigateway_endpoint) }),
    ...(outputs.webhook_sources && {
      webhook_sources: Object.fromEntries(
        Object.entries(outputs.webhook_sources).map(([name, source]) => [name, { ...source, url: local(source.url) }]),
      ),
    }),
  };
}

/**
 * The rehearsal's own settings, under the overlays: a failed webhook is received again (and
 * moved to the DLQ) after 5 s instead of 60 s; each request towards a target may take most of
 * that (the default margin would leave 1 s, less than a cold application start on a busy machine).
 */
export function rehearsalSettings(overlays: Partial<WebhookQueueSettings>): Partial<WebhookQueueSettings> {
  if (overlays.functionTimeoutSeconds !== undefined) return {};
  if (overlays.forwarder?.forwardTimeoutMs !== undefined) return { functionTimeoutSeconds: REHEARSAL_FUNCTION_TIMEOUT_SECONDS };
  const batchSize = overlays.forwarder?.batchSize ?? 1;
  return {
    functionTimeoutSeconds: REHEARSAL_FUNCTION_TIMEOUT_SECONDS,
    forwarder: { forwardTimeoutMs: Math.floor((REHEARSAL_FUNCTION_TIMEOUT_SECONDS * 1000 - REHEARSAL_MARGIN_MS) / batchSize) },
  };
}
const REHEARSAL_MARGIN_MS = 500;

function parseSecretsEnv(value: string | undefined): Record<string, string> {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new Error(`${EMULATOR_SECRETS_ENV} is not JSON (${(error as Error).message}): expected {"<parameter name>": "<secret>"}`, { cause: error });
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((secret) => typeof secret === "string")
  ) {
    throw new Error(`${EMULATOR_SECRETS_ENV} must be a JSON object {"<parameter name>": "<secret>"}`);
  }
  return parsed as Record<string, string>;
}

/** Creates (or overwrites) each secret as an SSM SecureString in the emulator. */
async function createSecrets(
  clientConfig: { endpoint: string; region: string; credentials: typeof EMULATOR_CREDENTIALS },
  secrets: Readonly<Record<string, string>>,
): Promise<void> {
  if (Object.keys(secrets).length === 0) return;
  const ssm = new SSMClient(clientConfig);
  try {
    for (const [name, value] of Object.entries(secrets)) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: "SecureString", Overwrite: true }));
    }
  } finally {
    ssm.destroy();
  }
}

/** The release switch over HTTP, for a second terminal: `POST /release {"inProgress": true}`. */
function serveReleaseSwitch(application: RehearsalApplication): Promise<LoopbackServer> {
  return serveHttp(async (request, url, body): Promise<HttpAnswer> => {
    if (url.pathname !== "/release") return { status: 404, body: { message: "Not Found" } };
    if (request.method === "GET") return { status: 200, body: { inProgress: application.inRelease } };
    if (request.method !== "POST") return { status: 405, body: { message: "Method Not Allowed" } };
    let inProgress: unknown;
    try {
      inProgress = (JSON.parse(body.toString("utf8")) as { inProgress?: unknown }).inProgress;
    } catch {
      inProgress = undefined;
    }
    if (typeof inProgress !== "boolean") return { status: 400, body: { message: 'expected {"inProgress": true} or {"inProgress": false}' } };
    application.setReleaseInProgress(inProgress);
    return { status: 200, body: { inProgress: application.inRelease } };
  });
}

/** Thrown when the start was interrupted (Ctrl-C); everything started so far has been stopped. */
export class RehearsalAborted extends Error {
  constructor() {
    super("interrupted");
    this.name = "RehearsalAborted";
  }
}
