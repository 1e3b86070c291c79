/**
 * Webhook signatures: verifying what a SaaS sent (GitHub, Stripe, Standard Webhooks / Svix, or a
 * generic HMAC-SHA256 header), and signing what the forwarder sends on (Standard Webhooks).
 *
 * node:crypto only, not the providers' SDKs: the Lambda bundle stays small, and every scheme
 * checks its timestamp against the time API Gateway received the request rather than "now", so a
 * webhook redriven from the DLQ days later still verifies. The tests sign with the providers'
 * own libraries, so any drift from their behaviour shows there.
 *
 * Every comparison of a signature is constant-time (timingSafeEqual on equal-length buffers;
 * unequal lengths are a mismatch, never an exception), and no reason ever carries a secret or
 * an expected signature: reasons are logged and stored as a DLQ message attribute.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type SignatureScheme =
  /** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`; no timestamp. */
  | { readonly scheme: "github" }
  /** `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...][,v0=...]` over `${t}.${body}`, the secret used as the key string. */
  | { readonly scheme: "stripe"; readonly toleranceSeconds?: number }
  /** webhook-id / webhook-timestamp / webhook-signature (or svix-*), `v1,<base64>` over `${id}.${timestamp}.${body}`, key = base64 of `whsec_<base64>`. */
  | { readonly scheme: "standard-webhooks"; readonly toleranceSeconds?: number }
  /** `<header>: <prefix><hex or base64 HMAC-SHA256(secret, body)>`. */
  | { readonly scheme: "hmac-sha256"; readonly header: string; readonly encoding: "hex" | "base64"; readonly prefix?: string };

export interface SignedRequest {
  readonly body: string;
  /** lower-case header name -> value; only the headers signatureHeaders() names (absent ones missing). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** When API Gateway received the request (ms since epoch). */
  readonly receivedAtMs: number;
}

export type Verification =
  /** `secretIndex`: which of the secrets matched, so a rotation can tell when the old one is no longer used. */
  | { readonly verified: true; readonly secretIndex: number }
  /** `reason`: short, safe to log and to store as a message attribute. */
  | { readonly verified: false; readonly reason: string };

/** Stripe's and Standard Webhooks' default: five minutes either side of the receive time. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const GITHUB_HEADER = "x-hub-signature-256";
const GITHUB_PREFIX = "sha256=";
const STRIPE_HEADER = "stripe-signature";

/** Standard Webhooks' header names, then Svix's names for the same three headers (which Svix's own library also reads). */
const STANDARD_WEBHOOK_HEADERS = {
  id: ["webhook-id", "svix-id"],
  timestamp: ["webhook-timestamp", "svix-timestamp"],
  signature: ["webhook-signature", "svix-signature"],
} as const;

const STANDARD_WEBHOOK_SECRET_PREFIX = "whsec_";

/** The header names (lower-case) a scheme reads, so the ingress can carry exactly those. */
export function signatureHeaders(scheme: SignatureScheme): readonly string[] {
  switch (scheme.scheme) {
    case "github":
      return [GITHUB_HEADER];
    case "stripe":
      return [STRIPE_HEADER];
    case "standard-webhooks":
      return [...STANDARD_WEBHOOK_HEADERS.id, ...STANDARD_WEBHOOK_HEADERS.timestamp, ...STANDARD_WEBHOOK_HEADERS.signature];
    case "hmac-sha256":
      return [scheme.header.toLowerCase()];
    default:
      return unknownScheme(scheme);
  }
}

/**
 * What a scheme found in the request: the signatures it carries, how to compute the expected one
 * for a secret (as the same kind of string, compared byte for byte), and the signed timestamp.
 */
interface SignatureCheck {
  readonly presented: readonly string[];
  /** The expected signature for `secret`, or undefined when the secret is unusable by the scheme. */
  readonly expected: (secret: string) => string | undefined;
  /** Unix seconds the signature covers, checked against the receive time once a signature matched. */
  readonly timestamp?: number;
  readonly toleranceSeconds?: number;
}

type Parsed = SignatureCheck | { readonly reason: string };

/**
 * Checks the request against each secret (several for rotation: any match verifies). The
 * timestamp is checked only after a signature matched, so a timestamp reason always means an
 * authentic but late (or replayed, or clock-skewed) webhook, never a forgery.
 */
export function verifySignature(scheme: SignatureScheme, request: SignedRequest, secrets: readonly string[]): Verification {
  if (!secrets.some((secret) => secret !== "")) return failed("no secret configured");
  const parsed = parse(scheme, request);
  if ("reason" in parsed) return failed(parsed.reason);
  const unusable: number[] = [];
  for (const [secretIndex, secret] of secrets.entries()) {
    if (secret === "") continue;
    const expected = parsed.expected(secret);
    if (expected === undefined) {
      unusable.push(secretIndex);
      continue;
    }
    // Every presented signature is compared, not just up to the first match: the time taken says nothing about which.
    const matched = parsed.presented.reduce((found, presented) => equalInConstantTime(presented, expected) || found, false);
    if (!matched) continue;
    const timing = timestampProblem(parsed, request.receivedAtMs);
    return timing === undefined ? { verified: true, secretIndex } : failed(timing);
  }
  // Only a Standard Webhooks secret can be unusable (not base64); any string is an HMAC key otherwise.
  if (unusable.length === secrets.filter((secret) => secret !== "").length) {
    return failed(`no usable secret: ${unusableSecrets(unusable)} not ${STANDARD_WEBHOOK_SECRET_PREFIX}<base64>`);
  }
  return failed(
    unusable.length === 0 ? "signature mismatch" : `signature mismatch (${unusableSecrets(unusable)} not ${STANDARD_WEBHOOK_SECRET_PREFIX}<base64>)`,
  );
}

/**
 * Standard Webhooks signing of an outgoing request (the forwarder signs requests to the application
 * with a per-target secret): the three headers, the timestamp being `nowMs` in unix seconds.
 * Throws when the secret is not a Standard Webhooks secret (a configuration error).
 */
export function signStandardWebhook(
  secret: string,
  webhookId: string,
  body: string,
  nowMs: number,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  const key = standardWebhookKey(secret);
  if (key === undefined) {
    throw new Error(
      `the signing secret is not a Standard Webhooks secret: expected ${STANDARD_WEBHOOK_SECRET_PREFIX} followed by base64 (of at least one byte)`,
    );
  }
  const timestamp = Math.floor(nowMs / 1000);
  return {
    "webhook-id": webhookId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${standardWebhookSignature(key, webhookId, timestamp, body)}`,
  };
}

function parse(scheme: SignatureScheme, request: SignedRequest): Parsed {
  switch (scheme.scheme) {
    case "github":
      return parseGithub(request);
    case "stripe":
      return parseStripe(request, scheme.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
    case "standard-webhooks":
      return parseStandardWebhook(request, scheme.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
    case "hmac-sha256":
      return parseGenericHmac(request, scheme);
    default:
      return unknownScheme(scheme);
  }
}

/**
 * Like @octokit/webhooks-methods' verify: the whole header value is compared with
 * "sha256=" + lower-case hex, so an upper-case "SHA256=" or upper-case hex does not verify.
 */
function parseGithub(request: SignedRequest): Parsed {
  const header = headerValue(request, GITHUB_HEADER);
  if (header === undefined) return { reason: `missing header ${GITHUB_HEADER}` };
  if (!header.startsWith(GITHUB_PREFIX)) return { reason: `malformed ${GITHUB_HEADER} header: expected ${GITHUB_PREFIX}<hex>` };
  return { presented: [header], expected: (secret) => `${GITHUB_PREFIX}${hmac(secret, request.body).toString("hex")}` };
}

/**
 * Like stripe's `webhooks.constructEvent`: the header is split at "," and each part at its "="
 * (no trimming); the last `t` counts, only `v1` signatures count (any may match), and the
 * secret, `whsec_` and all, is the HMAC key as a string. Unlike it, a `t` that is not all
 * digits is malformed (stripe takes parseInt's reading), and a timestamp too far in the future
 * fails too (stripe only refuses old ones).
 */
function parseStripe(request: SignedRequest, toleranceSeconds: number): Parsed {
  const header = headerValue(request, STRIPE_HEADER);
  if (header === undefined) return { reason: `missing header ${STRIPE_HEADER}` };
  let t: string | undefined;
  const presented: string[] = [];
  for (const item of header.split(",")) {
    const [key, value = ""] = item.split("=");
    if (key === "t") t = value;
    else if (key === "v1" && value !== "") presented.push(value);
  }
  if (t === undefined || !/^\d+$/.test(t)) return { reason: `malformed ${STRIPE_HEADER} header: no t=<unix seconds>` };
  if (presented.length === 0) return { reason: `malformed ${STRIPE_HEADER} header: no v1 signature` };
  // Stripe signs the timestamp as it reads it (parseInt), so "t=007" is signed as "7".
  const timestamp = Number(t);
  return { presented, expected: (secret) => hmac(secret, `${timestamp}.${request.body}`).toString("hex"), timestamp, toleranceSeconds };
}

/**
 * Like the standardwebhooks package's `verify`: space-separated `<version>,<signature>`, only
 * `v1` counts (others are skipped), the timestamp must be within the tolerance either way. Also
 * reads Svix's svix-* header names, as Svix's own library does (webhook-* first). Unlike the
 * package, a timestamp that is not all digits is malformed (it takes parseInt's reading).
 */
function parseStandardWebhook(request: SignedRequest, toleranceSeconds: number): Parsed {
  const id = firstHeader(request, STANDARD_WEBHOOK_HEADERS.id);
  const timestampHeader = firstHeader(request, STANDARD_WEBHOOK_HEADERS.timestamp);
  const signatureHeader = firstHeader(request, STANDARD_WEBHOOK_HEADERS.signature);
  if (id === undefined) return { reason: missingStandardWebhookHeader("id") };
  if (timestampHeader === undefined) return { reason: missingStandardWebhookHeader("timestamp") };
  if (signatureHeader === undefined) return { reason: missingStandardWebhookHeader("signature") };
  if (!/^\d+$/.test(timestampHeader.value)) return { reason: `malformed ${timestampHeader.name} header: expected unix seconds` };
  const presented = signatureHeader.value.split(" ").flatMap((versioned) => {
    const [version, signature] = versioned.split(",");
    return version === "v1" && signature ? [signature] : [];
  });
  if (presented.length === 0) return { reason: `malformed ${signatureHeader.name} header: no v1,<base64> signature` };
  // The package signs the timestamp as it reads it (parseInt), so "007" is signed as "7".
  const timestamp = Number(timestampHeader.value);
  return {
    presented,
    expected: (secret) => {
      const key = standardWebhookKey(secret);
      return key === undefined ? undefined : standardWebhookSignature(key, id.value, timestamp, request.body);
    },
    timestamp,
    toleranceSeconds,
  };
}

function missingStandardWebhookHeader(part: keyof typeof STANDARD_WEBHOOK_HEADERS): string {
  const [standard, svix] = STANDARD_WEBHOOK_HEADERS[part];
  return `missing header ${standard} (or ${svix})`;
}

/** `<prefix><encoding>`; hex is compared case-insensitively (either case carries the same bytes), base64 exactly (padded). */
function parseGenericHmac(request: SignedRequest, scheme: Extract<SignatureScheme, { scheme: "hmac-sha256" }>): Parsed {
  const name = scheme.header.toLowerCase();
  const prefix = scheme.prefix ?? "";
  const header = headerValue(request, name);
  if (header === undefined) return { reason: `missing header ${name}` };
  if (!header.startsWith(prefix)) return { reason: `malformed ${name} header: expected it to start with ${JSON.stringify(prefix)}` };
  const signature = header.slice(prefix.length);
  return {
    presented: [scheme.encoding === "hex" ? signature.toLowerCase() : signature],
    expected: (secret) => hmac(secret, request.body).toString(scheme.encoding),
  };
}

/** Why the matched signature's timestamp is not acceptable at the receive time, or undefined. */
function timestampProblem(check: SignatureCheck, receivedAtMs: number): string | undefined {
  if (check.timestamp === undefined || check.toleranceSeconds === undefined) return undefined;
  if (!Number.isFinite(receivedAtMs)) return "no receive time to check the timestamp against";
  // Whole seconds, as both libraries compare: floor(receive time) - timestamp.
  const distance = Math.abs(Math.floor(receivedAtMs / 1000) - check.timestamp);
  return distance > check.toleranceSeconds
    ? `timestamp ${check.timestamp} is ${distance} s from the receive time (tolerance ${check.toleranceSeconds} s)`
    : undefined;
}

interface Found {
  readonly name: string;
  readonly value: string;
}

function headerValue(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return value === undefined || value === "" ? undefined : value;
}

function firstHeader(request: SignedRequest, names: readonly string[]): Found | undefined {
  for (const name of names) {
    const value = headerValue(request, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** HMAC-SHA256 over the UTF-8 bytes of `content`; a string key is used as its UTF-8 bytes. */
function hmac(key: string | Buffer, content: string): Buffer {
  return createHmac("sha256", key).update(content, "utf8").digest();
}

function standardWebhookSignature(key: Buffer, id: string, timestamp: number, body: string): string {
  return hmac(key, `${id}.${timestamp}.${body}`).toString("base64");
}

/**
 * The key of a Standard Webhooks secret, as the standardwebhooks package derives it: `whsec_`
 * dropped if present, the rest base64-decoded as @stablelib/base64 does (standard alphabet
 * only, at least 4 characters, at most 2 "=" and only at the end; stray bits after the last
 * whole byte ignored). Undefined where the package's constructor throws, or the key is empty.
 * Node's own base64 decoding would be more lenient (URL-safe characters, whitespace, junk).
 */
function standardWebhookKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(STANDARD_WEBHOOK_SECRET_PREFIX) ? secret.slice(STANDARD_WEBHOOK_SECRET_PREFIX.length) : secret;
  if (encoded.length < 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const key = Buffer.from(encoded, "base64");
  return key.length === 0 ? undefined : key;
}

/** Constant-time equality of two strings' UTF-8 bytes; different lengths are unequal (timingSafeEqual would throw). */
function equalInConstantTime(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function unusableSecrets(indexes: readonly number[]): string {
  return indexes.length === 1 ? `secret ${indexes[0]} is` : `secrets ${indexes.join(", ")} are`;
}

function failed(reason: string): Verification {
  return { verified: false, reason };
}

/** A scheme from untyped configuration that the types rule out. */
function unknownScheme(scheme: never): never {
  throw new Error(
    `unknown signature scheme ${JSON.stringify((scheme as { scheme?: unknown }).scheme)}: expected github, stripe, standard-webhooks or hmac-sha256`,
  );
}
