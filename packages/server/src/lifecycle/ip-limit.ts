import type { ConnectionCounter } from './connection-counter';

/** Counts connections per client IP in this process and refuses the one past the cap. */
export class IpConnectionLimit implements ConnectionCounter {
  readonly #counts = new Map<string, number>();
  readonly #max: number;

  constructor(maxPerIp: number) {
    this.#max = maxPerIp;
  }

  /** Takes a slot for `ip`; false (and nothing taken) when the cap is reached. */
  acquire(ip: string): boolean {
    const count = this.#counts.get(ip) ?? 0;
    if (count >= this.#max) return false;
    this.#counts.set(ip, count + 1);
    return true;
  }

  /** Gives a slot back; the IP's entry disappears at zero. */
  release(ip: string): void {
    const count = this.#counts.get(ip);
    if (count === undefined) return;
    if (count <= 1) this.#counts.delete(ip);
    else this.#counts.set(ip, count - 1);
  }

  /** Connections currently counted for `ip`. */
  count(ip: string): number {
    return this.#counts.get(ip) ?? 0;
  }

  /** Every IP with its count. */
  entries(): IterableIterator<[string, number]> {
    return this.#counts.entries();
  }

  /** Number of IPs with at least one connection. */
  get size(): number {
    return this.#counts.size;
  }
}

/**
 * The client IP of a handshake. With `trustedHops` proxies in front (0: none), it is the `X-Forwarded-For`
 * entry the outermost trusted proxy appended, `trustedHops` from the right; entries further left are
 * whatever the client sent and are never used. Falls back to the socket address when the list is shorter.
 */
export function clientIp(handshake: { address: string; headers: Record<string, string | string[] | undefined> }, trustedHops: number): string {
  if (trustedHops === 0) return handshake.address;
  const header = handshake.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  const appended = entries.length >= trustedHops ? entries[entries.length - trustedHops]?.trim() : undefined;
  return appended || handshake.address;
}
