/**
 * Counts connections (open transports) per client IP against the cap. The in-memory `IpConnectionLimit` counts this
 * process; `RedisConnectionCounter` counts the whole cluster. `acquire` may be async; `release` never waits.
 */
export interface ConnectionCounter {
  /** Takes a slot for `ip`; false (and nothing taken) when the cap is reached. */
  acquire(ip: string): boolean | Promise<boolean>;
  /** Gives a slot back. */
  release(ip: string): void;
  /** IPs with at least one connection on this node (for `stats()`). */
  readonly size: number;
}
