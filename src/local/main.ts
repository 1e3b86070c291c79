/**
 * `npm run local [-- --smoke]`: see src/local/rehearsal.ts for what runs, and
 * src/local/smoke.ts for the scripted scenario.
 */
import { RELEASE_SWITCH_PATH } from "./dummy-application";
import { Log, Rehearsal, startRehearsal } from "./rehearsal";
import { runSmoke } from "./smoke";

// The SDK's notice that its 2027 releases need Node 22 would interleave with the progress lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const USAGE = `Usage: npm run local [-- --smoke]

Runs the webhook path on 127.0.0.1: moto_server with the emulator stack deployed by cdktf,
a local API gateway for the stack's route, the SQS event source mapping running the
bundled forwarder, and the dummy application as the webhook target.

  --smoke     run the scripted outage/DLQ/redrive scenario, print a summary line and exit
              (0 only when it passed)
  -h, --help  show this help

Interactive: prints the URL to POST webhooks to; Ctrl-C stops everything.`;

const wallStartedAt = performance.now();

const log: Log = (source, line) => {
  process.stdout.write(`[${source}] ${line}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = argv.filter((arg) => arg !== "--smoke");
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\n\n${USAGE}\n`);
    return 2;
  }
  const smoke = argv.includes("--smoke");

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
    rehearsal = await startRehearsal({ log, signal: interrupt.signal });
  } catch (error) {
    if (interrupt.signal.aborted) {
      log("local", "stopped before it was ready; nothing left running");
      return crashed ? 1 : smoke ? 130 : 0;
    }
    log("local", `failed to start: ${(error as Error).message}`);
    return 1;
  }
  log("local", `ready after ${((performance.now() - wallStartedAt) / 1000).toFixed(1)} s`);

  if (smoke) {
    const result = await runSmoke(rehearsal, log, interrupt.signal, wallStartedAt);
    await rehearsal.stop();
    process.stdout.write(`${result.summary}\n`);
    return result.passed && !crashed ? 0 : interrupt.signal.aborted && !crashed ? 130 : 1;
  }

  const stopKeys = listenToKeys(rehearsal, onSignal);
  printBanner(rehearsal, stopKeys !== undefined);
  await new Promise<void>((stopped) => interrupt.signal.addEventListener("abort", () => stopped(), { once: true }));
  stopKeys?.();
  await rehearsal.stop();
  log("local", "stopped: moto_server, gateway, pollers and dummy application are down, temporary files removed");
  return crashed ? 1 : 0;
}

function printBanner(rehearsal: Rehearsal, keys: boolean): void {
  const { application, deployment, moto, webhookUrl } = rehearsal;
  const mapping = rehearsal.mapping.config;
  const lines = [
    `POST webhooks to ${webhookUrl}`,
    `  curl -s -X POST ${webhookUrl} -H 'content-type: application/json' -d '{"event":"approval.updated","id":1}'`,
    `the application's webhook ${application.url}/application-hook prints every delivery ([app] lines)`,
    `release in progress (the application answers 503): ${keys ? "press f to toggle, or " : ""}` +
      `curl -s -X POST ${application.url}${RELEASE_SWITCH_PATH} -d '{"inProgress":true}'  (false ends it)`,
    `a failed webhook is received again after the ${mapping.visibilityTimeoutSeconds} s visibility timeout and moves to the DLQ after ` +
      `${mapping.maxReceiveCount ?? "?"} receive(s); to inspect and redrive:`,
    `  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing node bin/webhook-queue.js --endpoint-url ${moto.endpoint} ` +
      `--region ${deployment.region} --queue-url ${deployment.outputs.queue_url} --dlq-url ${deployment.outputs.dlq_url} status|peek|redrive`,
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
    process.exit(1);
  },
);
