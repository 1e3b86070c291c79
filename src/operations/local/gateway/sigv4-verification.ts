/**
 * The first half of API Gateway's IAM authorization, for the local gateway: is the request
 * signed (Signature Version 4) by the holder of a key we know, for this region and service,
 * recently? The signature is recomputed with the AWS SDK's own signer (@smithy/signature-v4),
 * not with the forwarder's (lambda/forwarder/sigv4.ts), so the two check each other.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface SigningSecret {
  readonly secretAccessKey: string;
  /** Temporary credentials: the request must carry this token, signed. */
  readonly sessionToken?: string;
}

export interface SignedRequest {
  readonly method: string;
  /** The path and query as the request line had them. */
  readonly path: string;
  /** Header names in lower case, as node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | string;
}

export type SignatureCheck = { readonly valid: true; readonly accessKeyId: string } | { readonly valid: false; readonly why: string };

/** API Gateway refuses a request signed longer ago (or later) than this. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** node:crypto's SHA-256 in the shape the SDK's signer takes (an HMAC when given a secret). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined || typeof secret === "string"
        ? secret
        : ArrayBuffer.isView(secret)
          ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
          : Buffer.from(secret);
    this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** Whether `request` carries a valid SigV4 signature of a known key for `scope`, made within MAX_CLOCK_SKEW_MS of `now`. */
export async function verifySignatureV4(
  request: SignedRequest,
  secretOf: (accessKeyId: string) => SigningSecret | undefined,
  scope: { readonly region: string; readonly service: string },
  now: Date = new Date(),
): Promise<SignatureCheck> {
  const authorization = header(request, "authorization");
  if (authorization === undefined) return { valid: false, why: "no Authorization header (an unsigned request)" };
  const parsed = AUTHORIZATION.exec(authorization);
  if (!parsed) return { valid: false, why: "an Authorization header that is not AWS4-HMAC-SHA256" };
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = parsed;
  const amzDate = header(request, "x-amz-date") ?? "";
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return { valid: false, why: "no X-Amz-Date" };
  const signingDate = new Date(Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]));
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) return { valid: false, why: `signed at ${amzDate}: too far from now` };
  if (day !== amzDate.slice(0, 8)) return { valid: false, why: "the credential scope's date is not X-Amz-Date's" };
  if (region !== scope.region || service !== scope.service) {
    return { valid: false, why: `signed for ${region}/${service}, not ${scope.region}/${scope.service}` };
  }
  const secret = secretOf(accessKeyId);
  if (!secret) return { valid: false, why: `the access key ${accessKeyId} is unknown` };
  if (secret.sessionToken !== header(request, "x-amz-security-token")) return { valid: false, why: "the security token is not the key's" };

  const url = new URL(request.path, `http://${header(request, "host") ?? "localhost"}`);
  const signedNames = signedHeaderList.split(";");
  const headers = Object.fromEntries(signedNames.flatMap((name) => (header(request, name) === undefined ? [] : [[name, header(request, name)!]])));
  if (Object.keys(headers).length !== signedNames.length) return { valid: false, why: "a signed header is missing from the request" };
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? [query[key]].flat().concat(value) : value;
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: secret.sessionToken },
    region,
    service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    { method: request.method, protocol: "https:", hostname: url.hostname, path: url.pathname, query, headers, body: request.body },
    { signingDate },
  );
  const expectedAuthorization = String(expected.headers.authorization ?? "");
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expectedAuthorization)?.[1] ?? "";
  const sameHeaders = expectedAuthorization.includes(`SignedHeaders=${signedHeaderList},`);
  if (!sameHeaders || !timingSafeEqual(Buffer.from(expectedSignature.padEnd(64, "0")), Buffer.from(signature))) {
    return { valid: false, why: "the signature does not match the request" };
  }
  return { valid: true, accessKeyId };
}
