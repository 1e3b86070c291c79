/**
 * The SaaS side of the signature schemes, with the providers' own libraries: the tests sign
 * as GitHub, Stripe and a Standard Webhooks sender do, never with the project's code.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import ts from "typescript";

/** The part of @octokit/webhooks-methods the tests use. */
export interface OctokitWebhooksMethods {
  sign(secret: string, payload: string): Promise<string>;
  verify(secret: string, payload: string, signature: string): Promise<boolean>;
}

/**
 * @octokit/webhooks-methods 6 is ESM only, and jest (CommonJS here, node_modules untransformed,
 * Node 20) cannot load it: this runs the package's own Node entry point, converted to CommonJS.
 */
export function loadOctokitWebhooksMethods(): OctokitWebhooksMethods {
  const directory = path.resolve(__dirname, "../../node_modules/@octokit/webhooks-methods");
  const manifest = JSON.parse(readFileSync(path.join(directory, "package.json"), "utf8"));
  const source = readFileSync(path.join(directory, manifest.exports["."].node.import), "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const loaded = { exports: {} as OctokitWebhooksMethods };
  new Function("module", "exports", "require", outputText)(loaded, loaded.exports, require);
  return loaded.exports;
}

export const octokit = loadOctokitWebhooksMethods();
export const stripe = new Stripe("sk_test_x");

/** GitHub's headers for a body: X-Hub-Signature-256 and a delivery ID. */
export async function githubHeaders(secret: string, body: string, delivery: string): Promise<Record<string, string>> {
  return { "x-hub-signature-256": await octokit.sign(secret, body), "x-github-delivery": delivery };
}

/** Stripe's Stripe-Signature header for a body at a time (seconds). */
export function stripeHeaders(secret: string, body: string, timestampSeconds: number): Record<string, string> {
  return { "stripe-signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: timestampSeconds }) };
}

/** A Standard Webhooks sender's three headers. */
export function standardWebhookHeaders(secret: string, body: string, id: string, at: Date): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}
