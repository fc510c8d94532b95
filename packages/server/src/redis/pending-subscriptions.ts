import type { Redis } from 'ioredis';

/**
 * The SSUBSCRIBEs of a subscriber client still in flight, by channel. The sharded adapter subscribes to a room's
 * channel without waiting for Redis; a subscribe-job that waits here before reading the store cannot miss an update
 * published between its store read and the moment Redis starts delivering the channel to this node.
 */
export class PendingSubscriptions {
  readonly #pending = new Map<string, Promise<void>>();
  readonly #waiting = new Set<() => void>();

  /** `client` with its `ssubscribe` calls tracked (every other property passes through). */
  track(client: Redis): Redis {
    return new Proxy(client, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'ssubscribe' || typeof value !== 'function') return value;
        return (...channels: string[]) => {
          const result = (value as (...args: string[]) => Promise<unknown>).apply(target, channels);
          const settled = result.then(
            () => undefined,
            () => undefined,
          );
          for (const channel of channels) {
            this.#pending.set(channel, settled);
            void settled.then(() => {
              if (this.#pending.get(channel) === settled) this.#pending.delete(channel);
            });
          }
          return result;
        };
      },
    });
  }

  /** Resolves once `channel`'s subscription is active (at once when none is in flight), or when `releaseAll()` runs. */
  whenActive(channel: string): Promise<void> {
    const pending = this.#pending.get(channel);
    if (!pending) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting.add(resolve);
      void pending.then(() => {
        this.#waiting.delete(resolve);
        resolve();
      });
    });
  }

  /** Redis went away: nobody waits for subscriptions that complete only once it returns (the store read fails meanwhile). */
  releaseAll(): void {
    for (const resolve of this.#waiting) resolve();
    this.#waiting.clear();
  }
}
