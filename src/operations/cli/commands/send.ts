/** `send`: POST a test webhook to the stack's API Gateway route (or any --url). */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Option } from "commander";
import { collect, integerIn } from "../../shared/command-line";
import { EXIT_FAILURE, EXIT_OK } from "../../shared/exit-codes";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { SignatureScheme } from "../../../../lambda/forwarder/signatures";
import { RehearsalEndpoints } from "../../shared/running-rehearsal";
import { signedHeaders } from "../../shared/webhook-signing";
import { clientConfig } from "../aws";
import { CliCommand } from "../command";
import { GlobalOptions } from "../options";
import { CliError, UsageError } from "../errors";
import { CommandResult } from "../output";
import { findStack, parseRouteKey, readWebhookRouteKey } from "../stack-outputs";

interface SendOptions {
  readonly source?: string;
  /** Refused: a secret on the command line is in the process list and the shell history. */
  readonly secret?: unknown;
  readonly secretFile?: string;
  readonly secretParameter?: string;
  readonly url?: string;
  readonly file?: string;
  readonly sample: boolean;
  readonly contentType: string;
  readonly header: string[];
  readonly timeoutMs: number;
}

/** A test event; its id makes every sample unique, so content-based deduplication keeps each one. */
export function sampleWebhook(now = new Date()): string {
  return `${JSON.stringify({ id: randomUUID(), type: "webhook-queue.test", sentAt: now.toISOString(), data: { message: "test webhook from webhook-queue send --sample" } }, null, 2)}\n`;
}

/** "Name: value" -> [name, value] */
export function parseHeader(header: string): [string, string] {
  const colon = header.indexOf(":");
  const name = colon > 0 ? header.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new UsageError(`--header ${JSON.stringify(header)} is not allowed: write it as "Name: value"`);
  return [name, header.slice(colon + 1).trim()];
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A file's bytes, or stdin's for "-"; `option` names the flag in the error. */
async function readInput(option: string, file: string): Promise<Buffer> {
  if (file === "-") return readStdin();
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${option} ${file} cannot be read: ${(error as Error).message}`);
  }
}

async function requestBody(file: string | undefined, sample: boolean): Promise<Buffer> {
  if ((file === undefined) === !sample) throw new UsageError("give exactly one body: --file PATH, --file - (stdin) or --sample");
  return sample ? Buffer.from(sampleWebhook()) : readInput("--file", file!);
}

interface Target {
  readonly method: string;
  readonly url: string;
  /** The source's signature scheme, when it has one and the stack says so. */
  readonly scheme?: SignatureScheme;
  /** The running `npm run local` rehearsal whose outputs --stack found (its SSM holds the secrets). */
  readonly rehearsal?: RehearsalEndpoints;
}

async function target(values: SendOptions, global: GlobalOptions): Promise<Target> {
  const { stack, stacksDir } = global;
  if (values.url && !values.source) return { method: "POST", url: values.url };
  if (!stack) throw new UsageError(values.source ? "--source needs --stack NAME (the stack's sources)" : "no target: pass --url URL or --stack NAME");
  const { outputs, directory, rehearsal } = await findStack(stack, stacksDir, global.endpointUrl);
  if (values.source) {
    const source = outputs.webhook_sources?.[values.source];
    if (!source) {
      const known = Object.keys(outputs.webhook_sources ?? {});
      throw new UsageError(
        `stack ${stack} has no source ${JSON.stringify(values.source)} (its sources: ${known.join(", ") || "none in its outputs: deploy it first"})`,
      );
    }
    return {
      method: parseRouteKey(source.route_key).method,
      url: values.url ?? source.url,
      ...(source.signature && { scheme: source.signature as unknown as SignatureScheme }),
      rehearsal,
    };
  }
  const { method, path } = parseRouteKey(readWebhookRouteKey(stack, directory));
  if (!outputs.apigateway_endpoint) throw new CliError(`stack ${stack} has no output apigateway_endpoint: deploy it first`);
  return { method, url: `${outputs.apigateway_endpoint.replace(/\/+$/, "")}${path}`, rehearsal };
}

/** Where a signing secret may come from besides SSM: the environment. */
const SIGNING_SECRET_ENV = "WEBHOOK_QUEUE_SIGNING_SECRET";

const SECRET_WAYS = `--secret-file FILE (or --secret-file - for stdin), the environment variable ${SIGNING_SECRET_ENV}, or --secret-parameter NAME (SSM)`;

/** Refuses --secret without echoing its value. */
function refuseSecretOption(): never {
  throw new UsageError(
    `--secret is refused: a secret on the command line shows in the process list and stays in the shell history. Give it with ${SECRET_WAYS}`,
  );
}

async function readSecretParameter(name: string, global: GlobalOptions, rehearsal: RehearsalEndpoints | undefined): Promise<string> {
  const ssm = new SSMClient(clientConfig(global, [], process.env, rehearsal));
  try {
    const response = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    if (!response.Parameter?.Value) throw new CliError(`SSM parameter ${name} has no value`);
    return response.Parameter.Value;
  } finally {
    ssm.destroy();
  }
}

/**
 * The secret to sign with and where it came from: --secret-file (its trailing newline dropped), --secret-parameter
 * (SSM, decrypted), else the environment variable; undefined when none is given. An empty secret is a usage error.
 */
async function signingSecret(
  values: SendOptions,
  global: GlobalOptions,
  rehearsal: RehearsalEndpoints | undefined,
): Promise<{ secret: string; from: string } | undefined> {
  const fromEnvironment = process.env[SIGNING_SECRET_ENV];
  if (values.secretFile !== undefined && values.secretParameter !== undefined)
    throw new UsageError("give --secret-file or --secret-parameter, not both");
  if (values.secretFile === "-" && values.file === "-") {
    throw new UsageError("--secret-file - and --file - both read stdin: give one of them a file");
  }
  let given: { secret: string; from: string } | undefined;
  if (values.secretFile !== undefined) {
    const text = (await readInput("--secret-file", values.secretFile)).toString("utf8");
    given = { secret: text.replace(/\r?\n$/, ""), from: `--secret-file ${values.secretFile}` };
  } else if (values.secretParameter !== undefined) {
    given = { secret: await readSecretParameter(values.secretParameter, global, rehearsal), from: `--secret-parameter ${values.secretParameter}` };
  } else if (fromEnvironment !== undefined) {
    given = { secret: fromEnvironment, from: SIGNING_SECRET_ENV };
  }
  if (given?.secret === "") throw new UsageError(`the signing secret from ${given.from} is empty: give a secret with ${SECRET_WAYS}`);
  return given;
}

export const sendCommand: CliCommand<SendOptions> = {
  name: "send",
  summary: "POST a test webhook (a file, stdin or a sample) to the stack's route",
  configure(command) {
    command
      .description(
        "Sends the body byte for byte to a webhook route: the default source's (apigateway_endpoint + the path of the stack's\n" +
          "route key, from cdk.tf.json), the route of --source NAME, or --url. With a secret the request is signed with\n" +
          "the source's scheme (GitHub, Stripe, Standard Webhooks or a generic HMAC), as the provider would sign it.\n" +
          `The secret comes from --secret-file FILE ("-": stdin; a trailing newline is dropped), --secret-parameter NAME\n` +
          `(SSM) or the environment variable ${SIGNING_SECRET_ENV}; never from the command line (--secret is\n` +
          "refused: the process list and the shell history would show it).\n" +
          "Prints the HTTP status and the response body; exits 1 when the answer is not 2xx.\n" +
          "Give exactly one body: --file PATH, --file - (stdin) or --sample.",
      )
      .option(
        "--source <name>",
        "POST to this source's route (from the stack's webhook_sources output); signed with its scheme when a secret is given",
      )
      .addOption(new Option("--secret [secret]").hideHelp())
      .option("--secret-file <file>", `sign the request as the source's provider would, with the secret in FILE ("-": stdin)`)
      .option("--secret-parameter <name>", "sign with the secret in this SSM SecureString parameter")
      .option("--url <url>", "where to POST (default: the route of --stack NAME, or of --source)")
      .option("--file <path>", 'the body; "-" reads stdin')
      .option("--sample", "a small JSON test event, unique each time (so content-based deduplication does not drop a repeated test)", false)
      .option("--content-type <type>", "Content-Type header", "application/json")
      .option("--header <header>", 'an extra header "Name: value" (repeatable)', collect, [])
      .option("--timeout-ms <ms>", "give up after this many milliseconds", integerIn("timeout-ms", 1, 600_000), 10_000);
  },

  async run(global, values): Promise<CommandResult> {
    if (values.secret !== undefined) refuseSecretOption();
    const timeoutMs = values.timeoutMs;
    const headers = new Headers(values.header.map(parseHeader));
    headers.set("content-type", values.contentType);
    const body = await requestBody(values.file, values.sample);
    const { method, url, scheme, rehearsal } = await target(values, global);
    const signing = await signingSecret(values, global, rehearsal);
    if (signing !== undefined) {
      if (!scheme)
        throw new UsageError(
          values.source
            ? `source ${values.source} is not signed: leave out the secret (${signing.from})`
            : `signing with the secret from ${signing.from} needs --source NAME (its scheme comes from the stack)`,
        );
      for (const [name, value] of Object.entries(signedHeaders(scheme, signing.secret, body.toString("utf8")))) headers.set(name, value);
    }

    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new CliError(`cannot ${method} ${url}: ${cause}`);
    }
    const responseBody = await response.text();
    return {
      document: {
        method,
        url,
        signed: signing !== undefined,
        requestBytes: body.length,
        status: response.status,
        ok: response.ok,
        responseHeaders: Object.fromEntries(response.headers),
        responseBody,
      },
      text: `${method} ${url} (${body.length} bytes) -> ${response.status} ${response.statusText}\n${responseBody}`.trimEnd(),
      exitCode: response.ok ? EXIT_OK : EXIT_FAILURE,
    };
  },
};
