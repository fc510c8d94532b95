import type { Cluster, Redis } from 'ioredis';

/** The part of ioredis's `Cluster` that owns its classic pub/sub connection (private in its types). */
interface ClusterSubscriberOwner {
  readonly subscriber?: { getInstance(): Redis | null };
}

/**
 * Follows the one connection on which an ioredis `Cluster` runs classic pub/sub (SUBSCRIBE, PSUBSCRIBE). When that
 * connection ends (killed, or its node left), ioredis opens another on some node and subscribes the same channels
 * again, and tells nobody: what was published in between never arrives. This reports each replacement (`onReplaced`)
 * so that the fan-out catches the watched jobs up, and confirms a connection's subscriptions with a PING, which Redis
 * answers only after the SUBSCRIBE commands queued before it.
 */
export class ClassicClusterSubscriber {
  readonly #cluster: Cluster;
  readonly #onReplaced: () => void;
  /** The connection followed now (`null` while ioredis has none: no node known yet). */
  #current: Redis | null = null;
  /** The connection ended and its successor was not reported yet. */
  #lost = false;
  #closed = false;
  /** Settles `subscribedOnce` while it waits for the cluster to be ready. */
  #whenReady: (() => void) | undefined;
  readonly #onEnd = (): void => {
    if (this.#closed) return;
    this.#lost = true;
    this.#follow();
  };

  constructor(cluster: Cluster, onReplaced: () => void) {
    this.#cluster = cluster;
    this.#onReplaced = onReplaced;
    this.#follow();
  }

  /**
   * Resolves once Redis confirmed the subscriptions sent so far on the current connection, or rejects when it could
   * not tell; resolves at once while there is no connection (the next one is reported when it comes).
   */
  async confirmed(): Promise<void> {
    // ioredis sends the commands it held back for a cluster that was not ready just after announcing it ready.
    await Promise.resolve();
    this.#follow();
    await this.#current?.ping();
  }

  /**
   * Resolves once the cluster is ready and Redis confirmed the subscriptions sent until then (or could not tell, or this
   * stopped following): until then, what is published to a job may not reach this node. Never rejects.
   */
  async subscribedOnce(): Promise<void> {
    if (this.#cluster.status !== 'ready') {
      await new Promise<void>((resolve) => {
        this.#whenReady = resolve;
        this.#cluster.once('ready', resolve);
      });
      this.#whenReady = undefined;
      if (this.#closed) return;
    }
    await this.confirmed().catch(() => undefined);
  }

  /** Called on every tick of the server: picks up a connection ioredis opened later (it had no node when the last one ended). */
  tick(): void {
    if (this.#lost) this.#follow();
  }

  /** Stops following. */
  close(): void {
    this.#closed = true;
    if (this.#whenReady) {
      this.#cluster.off('ready', this.#whenReady);
      this.#whenReady();
    }
    this.#current?.off('end', this.#onEnd);
    this.#current = null;
  }

  #follow(): void {
    if (this.#closed) return;
    const instance = (this.#cluster as unknown as ClusterSubscriberOwner).subscriber?.getInstance() ?? null;
    if (instance === this.#current) return;
    this.#current?.off('end', this.#onEnd);
    this.#current = instance;
    if (!instance) return;
    // ioredis listens for the end first and opens the successor then: this listener finds it in place.
    instance.once('end', this.#onEnd);
    if (this.#lost) {
      this.#lost = false;
      this.#onReplaced();
    }
  }
}
