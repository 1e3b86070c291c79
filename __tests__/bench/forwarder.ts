/**
 * Forwarder benchmark: bundle size, cold require time, and messages per second forwarded
 * sequentially to a local HTTPS target, against the same bundle with its delivery metrics
 * off (POWERTOOLS_METRICS_DISABLED: what the EMF lines cost), a handler that opens a new
 * connection per message (Python urllib's way) and one that uses fetch, in the same run.
 * Prints figures and whether each target was met; it asserts nothing.
 *
 * Usage: npm run bench:forwarder [-- <messages>]   (default 2000)
 */
import { spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { relative } from "node:path";
import { FORWARDER_ENV } from "../../lambda/forwarder/contract";
import { bundleLambda } from "../../src/infrastructure/bundling/bundle";
import { answer, selfSignedCertificate, startTarget } from "../support/local-targets";
import type { ClientResult, HandlerKind } from "./forwarder-client";

const MESSAGES = Number(process.argv[2] ?? 2_000);
const COLD_REQUIRE_RUNS = 9;
/** The handlers take turns, this many times each, and medians are reported: the machine is shared. */
const ROUNDS = 3;
const TARGETS = { bundleKiB: 100, coldRequireMs: 50, speedUp: 4, metricsCostPercent: 10 };

type RunResult = ClientResult & { logLines: number; connections: number };

/** Milliseconds to `require` the bundle in a fresh Node.js process, one run per process. */
function coldRequireMs(file: string, env: NodeJS.ProcessEnv): number[] {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  return Array.from({ length: COLD_REQUIRE_RUNS }, () => {
    const run = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`cold require failed: ${run.stderr}`);
    return Number(run.stdout);
  });
}

function runClient(kind: HandlerKind, file: string, env: NodeJS.ProcessEnv): Promise<Omit<RunResult, "connections">> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `${__dirname}/forwarder-client.ts`, kind, file, String(MESSAGES)], {
      env,
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    });
    let logLines = 0;
    let result: ClientResult | undefined;
    child.stdout?.on("data", (chunk: Buffer) => (logLines += chunk.toString().split("\n").length - 1));
    child.on("message", (message) => (result = message as ClientResult));
    child.on("error", reject);
    child.on("close", (code) => (result && code === 0 ? resolve({ ...result, logLines }) : reject(new Error(`${kind} client exited with ${code}`))));
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const medianRun = (list: RunResult[]): RunResult => ({
  firstMessageMs: median(list.map((run) => run.firstMessageMs)),
  messagesPerSecond: median(list.map((run) => run.messagesPerSecond)),
  logLines: median(list.map((run) => run.logLines)),
  connections: median(list.map((run) => run.connections)),
});
const met = (ok: boolean): string => (ok ? "met" : "NOT MET");
const fixed = (value: number, digits = 1): string => value.toFixed(digits);

async function main(): Promise<void> {
  const bundle = bundleLambda("forwarder");
  const certificate = selfSignedCertificate();
  const target = await startTarget(answer(200), certificate);
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      [FORWARDER_ENV.sources]: JSON.stringify({
        default: { group: { static: "mz-dev-sqs-webhook" }, targets: { application: { url: target.url } } },
      }),
      FORWARD_TIMEOUT_MS: "5000",
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_SERVICE_NAME: "webhook-forwarder",
      QUEUE_URL: "https://sqs.ap-northeast-1.amazonaws.com/123456789012/webhook.fifo",
    };
    const bundleKiB = bundle.code.length / 1024;
    const requireTimes = coldRequireMs(bundle.file, env);
    const runs: { id: string; kind: HandlerKind; label: string; env?: NodeJS.ProcessEnv }[] = [
      { id: "forwarder", kind: "forwarder", label: "forwarder bundle (node:https keep-alive)" },
      {
        id: "no-metrics",
        kind: "forwarder",
        label: "the same, delivery metrics off",
        env: { POWERTOOLS_METRICS_DISABLED: "true" },
      },
      { id: "new-connection", kind: "new-connection", label: "new connection per message (urllib)" },
      { id: "fetch", kind: "fetch", label: "fetch (undici keep-alive), not used" },
    ];
    const rounds = new Map<string, RunResult[]>(runs.map(({ id }) => [id, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const run of runs) {
        const connectionsBefore = target.connections();
        const result = await runClient(run.kind, bundle.file, { ...env, ...run.env });
        rounds.get(run.id)!.push({ ...result, connections: target.connections() - connectionsBefore });
      }
    }
    const results = new Map([...rounds].map(([id, list]) => [id, medianRun(list)]));

    const speedUp = results.get("forwarder")!.messagesPerSecond / results.get("new-connection")!.messagesPerSecond;
    const coldMedian = median(requireTimes);
    console.log(`Forwarder benchmark: node ${process.version}, ${availableParallelism()} CPUs, HTTPS target ${target.url} (self-signed, EC P-256)`);
    console.log(
      `bundle        ${relative(process.cwd(), bundle.file)}: ${fixed(bundleKiB)} KiB (${bundle.code.length} B)   target <= ${TARGETS.bundleKiB} KiB: ${met(bundleKiB <= TARGETS.bundleKiB)}`,
    );
    console.log(
      `cold require  median ${fixed(coldMedian)} ms (min ${fixed(Math.min(...requireTimes))}, max ${fixed(Math.max(...requireTimes))}, ${COLD_REQUIRE_RUNS} fresh processes)   target <= ${TARGETS.coldRequireMs} ms: ${met(coldMedian <= TARGETS.coldRequireMs)}`,
    );
    console.log(
      `forwarded sequentially: ${MESSAGES} messages in batches of 10 after a first single-message invocation and a warm-up batch; medians of ${ROUNDS} alternating runs, each in a fresh process`,
    );
    console.log(
      `  ${"handler".padEnd(42)}${"first message".padStart(14)}${"msg/s".padStart(9)}${"TCP conns".padStart(11)}${"log lines".padStart(11)}`,
    );
    for (const { id, label } of runs) {
      const result = results.get(id)!;
      console.log(
        `  ${label.padEnd(42)}${`${fixed(result.firstMessageMs)} ms`.padStart(14)}${fixed(result.messagesPerSecond, 0).padStart(9)}${String(result.connections).padStart(11)}${String(result.logLines).padStart(11)}`,
      );
    }
    console.log(
      `speed-up      forwarder / new connection per message: ${fixed(speedUp)}x   target >= ${TARGETS.speedUp}x: ${met(speedUp >= TARGETS.speedUp)}`,
    );
    // Per-message cost is the inverse of the rate: how much longer a message takes with the metrics.
    const metricsCost = (results.get("no-metrics")!.messagesPerSecond / results.get("forwarder")!.messagesPerSecond - 1) * 100;
    console.log(
      `metrics cost  per message, delivery metrics on vs off: ${metricsCost >= 0 ? "+" : ""}${fixed(metricsCost)}%   target <= ${TARGETS.metricsCostPercent}%: ${met(metricsCost <= TARGETS.metricsCostPercent)}`,
    );
  } finally {
    await target.close();
    certificate.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
