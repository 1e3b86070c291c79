/**
 * The provider's side of a signature scheme: sign a request the way GitHub, Stripe, a Standard
 * Webhooks sender or a generic HMAC sender would. For operators (`webhook-queue send --source`)
 * and the rehearsal; the project's tests sign with the providers' own libraries instead.
 */
import { createHmac, randomUUID } from "node:crypto";
import { SignatureScheme, signStandardWebhook } from "../../../lambda/forwarder/signatures";

/** The headers that sign `body` for `scheme` with `secret`, at `nowMs`. */
export function signedHeaders(scheme: SignatureScheme, secret: string, body: string, nowMs: number = Date.now()): Record<string, string> {
  const hmac = (payload: string) => createHmac("sha256", secret).update(payload, "utf8");
  switch (scheme.scheme) {
    case "github":
      return { "x-hub-signature-256": `sha256=${hmac(body).digest("hex")}` };
    case "stripe": {
      const timestamp = Math.floor(nowMs / 1000);
      return { "stripe-signature": `t=${timestamp},v1=${hmac(`${timestamp}.${body}`).digest("hex")}` };
    }
    case "standard-webhooks":
      return signStandardWebhook(secret, `msg_${randomUUID().replace(/-/g, "")}`, body, nowMs);
    case "hmac-sha256":
      return { [scheme.header.toLowerCase()]: `${scheme.prefix ?? ""}${hmac(body).digest(scheme.encoding)}` };
  }
}
