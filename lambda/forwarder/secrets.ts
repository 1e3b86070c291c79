/**
 * Secrets from SSM Parameter Store SecureStrings, through Powertools Parameters: decrypted,
 * and cached for five minutes so that a busy forwarder asks SSM once per parameter and
 * sandbox, while a rotated secret is picked up within minutes.
 */

export const SECRET_CACHE_SECONDS = 300;

/** A secret could not be read: the record goes back to the queue (it is not the webhook's fault). */
export class SecretUnavailableError extends Error {
  override readonly name = "SecretUnavailableError";
}

/**
 * The values of the parameters that can be read, in their order. While a secret rotates one of
 * them may already be gone: the others still verify. None readable is an error.
 */
export async function secretValues(names: readonly string[]): Promise<string[]> {
  // Loaded on first use: a forwarder with no signed source never pays for the SSM client at cold start.
  const { getParameter } = await import("@aws-lambda-powertools/parameters/ssm");
  const results = await Promise.allSettled(names.map((name) => getParameter(name, { decrypt: true, maxAge: SECRET_CACHE_SECONDS })));
  const values = results.flatMap((result) =>
    result.status === "fulfilled" && typeof result.value === "string" && result.value !== "" ? [result.value] : [],
  );
  if (values.length === 0) {
    const reasons = results.map((result, index) => `${names[index]}: ${result.status === "rejected" ? (result.reason as Error).message : "empty"}`);
    throw new SecretUnavailableError(`no secret readable (${reasons.join("; ")})`);
  }
  return values;
}

/** The value of one parameter (a signing secret). */
export async function secretValue(name: string): Promise<string> {
  return (await secretValues([name]))[0];
}
