/**
 * How long one record may take to be answered by all its targets (called in parallel).
 *
 * `FORWARD_TIMEOUT_MS` when set; the stack sets contract.ts's defaultForwardTimeoutMs.
 * Unset, each record gets an equal share of the invocation's remaining time less a
 * reserve (a fifth of it, at most 5 s); without a Lambda context (local runs), 10 s.
 * Either way a record never gets more than the remaining time less the reserve, so the
 * handler answers with a partial batch response before Lambda would cut it off.
 */
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;
export const MAX_RESERVE_MS = 5_000;

/** Returns the timeout for the next record, read from `remainingMs` at call time. */
export function recordTimeouts(configuredMs: number | undefined, remainingMs: (() => number) | undefined, recordCount: number): () => number {
  if (remainingMs === undefined) return () => configuredMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const remainingAtStart = remainingMs();
  const reserve = Math.min(MAX_RESERVE_MS, Math.floor(remainingAtStart / 5));
  const perRecord = configuredMs ?? Math.floor((remainingAtStart - reserve) / Math.max(1, recordCount));
  return () => Math.max(0, Math.min(perRecord, remainingMs() - reserve));
}
