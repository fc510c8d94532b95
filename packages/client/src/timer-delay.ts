/** The longest delay `setTimeout` honours: 2^31−1 ms (about 24.8 days). Node and browsers fire a longer one at once. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * A delay `setTimeout` honours: `ms` clamped to [0, {@link MAX_TIMER_DELAY_MS}]. Every timer of the client goes through
 * it, since its delays can come from the server (`retryAfterMs`, advertised heartbeat timing) or add up past the limit.
 */
export function timerDelayMs(ms: number): number {
  return ms > 0 ? Math.min(ms, MAX_TIMER_DELAY_MS) : 0;
}
