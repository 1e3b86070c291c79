/**
 * `npm run local [-- --smoke]`: see src/operations/local/rehearsal.ts for what runs, and
 * src/operations/local/smoke.ts for the scripted scenario.
 */
import { Command } from "commander";
import { parseCommandLine, UsageError } from "../shared/command-line";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "../shared/exit-codes";
import { relative } from "node:path";
import { endpointsFile, localDirectory } from "../shared/running-rehearsal";
import { Rehearsal, startRehearsal } from "./rehearsal";
import { Log, openRehearsalLog } from "./rehearsal-log";
import { runSmoke, SMOKE_OVERLAY, SMOKE_SECRETS } from "./smoke";

// The SDK's notice that its 2027 releases need Node 22 would interleave with the progress lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function localProgram(): Command {
  return new Command("npm run local --")
    .description(
      "Runs the webhook path on 127.0.0.1: moto_server with the emulator stack deployed by cdktf, a local API gateway for the\n" +
        "stack's routes, the SQS event source mapping running the bundled forwarder, and the stack's dummy application Lambda\n" +
        "behind its route on the gateway. Interactive: prints the URL to POST webhooks to; Ctrl-C stops everything.",
    )
    .option("--smoke", "run the scripted outage/DLQ/redrive scenario, print a summary line and exit (0 only when it passed)", false)
    .option(
      "--verbose",
      "print every line: each function's JSON log line, each request, each batch (by default: one line per webhook event; all of it goes to the log file)",
      false,
    )
    .addHelpText(
      "after",
      `\nExit codes: ${EXIT_OK} ok (or smoke passed), ${EXIT_FAILURE} failed, ${EXIT_USAGE} usage, ${EXIT_INTERRUPTED} interrupted.`,
    );
}

const wallStartedAt = performance.now();

/** Before the log file is open, and after it is closed: the terminal only. */
let log: Log = Object.assign((source: string, line: string) => void process.stdout.write(`[${source}] ${line}\n`), { detail: () => undefined });

async function main(argv: readonly string[]): Promise<number> {
  let smoke: boolean;
  let verbose: boolean;
  try {
    const parsed = parseCommandLine(localProgram(), argv);
    if (parsed.help !== undefined) {
      process.stdout.write(`${parsed.help}\n`);
      return EXIT_OK;
    }
    ({ smoke, verbose } = parsed.command.opts<{ smoke: boolean; verbose: boolean }>());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`npm run local: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const logFile = openRehearsalLog({ directory: localDirectory(), verbose });
  log = logFile.log;
  log("local", `the whole log, JSON lines: ${relative(process.cwd(), logFile.file)}${verbose ? "" : " (--verbose prints it here too)"}`);
  try {
    return await rehearse(smoke, logFile.file);
  } finally {
    logFile.close();
  }
}

async function rehearse(smoke: boolean, logFile: string): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      log("local", `${signal} again: still stopping…`);
      return;
    }
    log("local", `${signal}: stopping…`);
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A bug must not leave moto_server behind: stop everything, then exit 1.
  let crashed = false;
  const onCrash = (error: unknown) => {
    log("local", `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    crashed = true;
    interrupt.abort();
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);

  let rehearsal: Rehearsal;
  try {
    rehearsal = await startRehearsal({
      log,
      logFile,
      signal: interrupt.signal,
      ...(smoke && { overlay: SMOKE_OVERLAY, secrets: SMOKE_SECRETS }),
    });
  } catch (error) {
    if (interrupt.signal.aborted) {
      log("local", "stopped before it was ready; nothing left running");
      return crashed ? EXIT_FAILURE : smoke ? EXIT_INTERRUPTED : EXIT_OK;
    }
    log("local", `failed to start: ${(error as Error).message}`);
    return EXIT_FAILURE;
  }
  log("local", `ready after ${((performance.now() - wallStartedAt) / 1000).toFixed(1)} s`);

  if (smoke) {
    const result = await runSmoke(rehearsal, log, interrupt.signal, wallStartedAt);
    await rehearsal.stop();
    process.stdout.write(`${result.summary}\n`);
    return result.passed && !crashed ? EXIT_OK : interrupt.signal.aborted && !crashed ? EXIT_INTERRUPTED : EXIT_FAILURE;
  }

  const stopKeys = listenToKeys(rehearsal, onSignal);
  printBanner(rehearsal, stopKeys !== undefined);
  await new Promise<void>((stopped) => interrupt.signal.addEventListener("abort", () => stopped(), { once: true }));
  stopKeys?.();
  await rehearsal.stop();
  log("local", "stopped: moto_server, gateway, pollers and the Lambda sandboxes are down, temporary files removed");
  return crashed ? EXIT_FAILURE : EXIT_OK;
}

function printBanner(rehearsal: Rehearsal, keys: boolean): void {
  const { controlUrl, webhookUrl, settings } = rehearsal;
  const mapping = rehearsal.mapping.config;
  const otherSources = Object.values(settings.sources).filter((source) => source.name !== settings.defaultSource);
  const retry = settings.forwarder.retry;
  const lines = [
    `POST webhooks to ${webhookUrl}`,
    `  curl -s -X POST ${webhookUrl} -H 'content-type: application/json' -d '{"event":"approval.updated","id":1}'`,
    ...otherSources.map(
      (source) =>
        `source ${source.name}: POST to ${rehearsal.webhookUrls[source.name]}${source.signature ? ` (signed: ${source.signature.scheme}, verified by the forwarder)` : ""}`,
    ),
    "one line per webhook event: queued, delivered (with the body the application received), retried, dead-lettered, quarantined",
    `every endpoint, for scripts: ${relative(process.cwd(), endpointsFile())}`,
    `release in progress (the application's route answers 503): ${keys ? "press f to toggle, or " : ""}` +
      `curl -s -X POST ${controlUrl}/release -d '{"inProgress":true}'  (false ends it)`,
    retry
      ? `a failed webhook is retried inside the queue for ${retry.maxAgeSeconds} s (backoff ${retry.initialDelaySeconds}-${retry.maxDelaySeconds} s), then dead-lettered, its group held behind it`
      : `a failed webhook is received again after the ${mapping.visibilityTimeoutSeconds} s visibility timeout, and moves to the DLQ after ${mapping.maxReceiveCount ?? "?"} receive(s)`,
    `to inspect, redrive, pause the deliveries (the pollers stop) and resume them, in another terminal:`,
    `  npx webhook-queue status --stack ${settings.stackName}      (or peek, redrive, discard, quarantine, send, pause, resume)`,
    `Ctrl-C stops everything${keys ? " (or q)" : ""}`,
  ];
  for (const line of lines) log("local", line);
}

/** On a terminal: `f` toggles the release switch, `q` and Ctrl-C stop. Returns how to let go of the terminal. */
function listenToKeys(rehearsal: Rehearsal, stop: (signal: NodeJS.Signals) => void): (() => void) | undefined {
  const stdin = process.stdin;
  if (!stdin.isTTY) return undefined;
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (data: Buffer) => {
    for (const key of data.toString()) {
      if (key === "f" || key === "F") rehearsal.application.setReleaseInProgress(!rehearsal.application.inRelease);
      // Raw mode turns Ctrl-C into a key instead of a signal.
      else if (key === "\u0003" || key === "q") stop("SIGINT");
    }
  };
  stdin.on("data", onData);
  return () => {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    log("local", `unexpected error: ${error.stack ?? error.message}`);
    process.exit(EXIT_FAILURE);
  },
);
