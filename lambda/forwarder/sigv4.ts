/**
 * AWS Signature Version 4 for one request: how the forwarder calls the stack's own routes on the
 * existing HTTP API, which require IAM authorization (`execute-api:Invoke`). Written here with
 * node:crypto rather than bundled from @smithy/signature-v4 (140 KB minified, the whole bundle's
 * budget twice over); the tests check it against AWS's published example and against the SDK's signer.
 */
import { createHash, createHmac } from "node:crypto";

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Lambda's role credentials are temporary: they come with one. */
  readonly sessionToken?: string;
}

export interface SigningScope {
  readonly region: string;
  /** `execute-api` for API Gateway. */
  readonly service: string;
}

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  /** Headers sent with the request (names in any case); every one of them is signed, and `host` added. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes that will be sent. */
  readonly body: string | Buffer;
}

/** The headers that authorize the request: `authorization`, `x-amz-date`, and `x-amz-security-token` for temporary credentials. */
export function signRequest(request: SignableRequest, credentials: AwsCredentials, scope: SigningScope, now: Date): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const added: Record<string, string> = {
    "x-amz-date": amzDate,
    ...(credentials.sessionToken !== undefined && { "x-amz-security-token": credentials.sessionToken }),
  };
  const headers = canonicalHeaders({ ...request.headers, host: request.url.host, ...added });
  const signedHeaders = headers.map(([name]) => name).join(";");
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    ...headers.map(([name, value]) => `${name}:${value}`),
    "",
    signedHeaders,
    sha256Hex(request.body),
  ].join("\n");
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, credentialScope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = [day, scope.region, scope.service, "aws4_request"].reduce<Buffer>(
    (key, part) => hmac(key, part),
    Buffer.from(`AWS4${credentials.secretAccessKey}`),
  );
  const signature = hmac(signingKey, stringToSign).toString("hex");
  return {
    ...added,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** Lower-case names, values trimmed with inner runs of spaces made one, sorted by name. */
function canonicalHeaders(headers: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(headers)
    .map(([name, value]): [string, string] => [name.toLowerCase(), String(value).trim().replace(/\s+/g, " ")])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** RFC 3986 encoding: encodeURIComponent leaves `!'()*` alone, SigV4 does not. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each segment of the (already percent-encoded) path encoded once more, as SigV4 asks of every service but S3. */
function canonicalPath(pathname: string): string {
  return pathname === "" ? "/" : pathname.split("/").map(uriEncode).join("/");
}

function canonicalQuery(parameters: URLSearchParams): string {
  return [...parameters]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)])
    .sort(([keyA, valueA], [keyB, valueB]) => (keyA === keyB ? (valueA < valueB ? -1 : 1) : keyA < keyB ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** The function's own credentials and region, as Lambda sets them; undefined when they are missing. */
export function lambdaCredentials(env: NodeJS.ProcessEnv = process.env): (AwsCredentials & { readonly region: string }) | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!accessKeyId || !secretAccessKey || !region) return undefined;
  return { accessKeyId, secretAccessKey, region, ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }) };
}
