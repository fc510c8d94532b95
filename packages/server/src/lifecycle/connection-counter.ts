/**
 * Counts connections per client IP against the cap. The in-memory `IpConnectionLimit` counts this process;
 * `RedisConnectionCounter` counts the whole cluster. `acquire`/`hasRoom` may be async; `release` never waits.
 */
export interface ConnectionCounter {
  /** Whether one more connection from `ip` would still be allowed. */
  hasRoom(ip: string): boolean | Promise<boolean>;
  /** Takes a slot for `ip`; false (and nothing taken) when the cap is reached. */
  acquire(ip: string): boolean | Promise<boolean>;
  /** Gives a slot back. */
  release(ip: string): void;
  /** IPs with at least one connection on this node (for `stats()`). */
  readonly size: number;
}
