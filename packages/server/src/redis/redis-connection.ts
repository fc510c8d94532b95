import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { requireOptional } from '../optional-dependency';
import { asIoRedis, asIoRedisCluster, type RedisClusterStartupNode, type RedisConnectionOptions } from './redis-options';

/**
 * Settings of the clients this package creates from a URL: reconnect for ever, and never let a command wait long for
 * a Redis that is away (see also `failFastOnceConnected`).
 */
const CLIENT_SETTINGS: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  connectTimeout: 5000,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  // close() has nothing left to wait for; a longer grace would leave a timer behind when closing between reconnects.
  disconnectTimeout: 0,
};

/**
 * Settings of the Cluster clients this package creates from startup nodes: the same per-node settings, sharded
 * subscribers (without them ioredis delivers no sharded message at all), and a periodic slot refresh, so that a
 * subscription whose slot moved (resharding) is renewed within a second.
 */
const CLUSTER_SETTINGS: ClusterOptions = {
  shardedSubscribers: true,
  slotsRefreshInterval: 1000,
  clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 5000, disconnectTimeout: 0 },
};

/**
 * Commands wait for the first connection (a server starting up should not fail its first calls), but once the client
 * was ready or failed, a command sent while it is disconnected fails at once: the caller answers `UNAVAILABLE`.
 */
function failFastOnceConnected(client: Redis | Cluster): void {
  const stopQueueing = (): void => {
    client.options.enableOfflineQueue = false;
  };
  client.once('ready', stopQueueing);
  client.once('error', stopQueueing);
}

/** Loads ioredis (an optional peer dependency) and creates a client for `url`, or a Cluster client for startup `nodes`. */
function createClient(options: { url: string } | { nodes: RedisClusterStartupNode[] }): Redis {
  const ioredis = requireOptional<typeof import('ioredis')>('ioredis', 'The redis option');
  if ('url' in options) return new ioredis.Redis(options.url, CLIENT_SETTINGS);
  return asIoRedis(new ioredis.Cluster(options.nodes, CLUSTER_SETTINGS));
}

/** A subscriber like `client`: commands wait for the connection however long Redis is away, so fan-out resumes by itself. */
function duplicateForSubscribing(client: Redis): Redis {
  if (!client.isCluster) return client.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined, disconnectTimeout: 0 });
  const cluster = asIoRedisCluster(client);
  const redisOptions = { ...cluster.options.redisOptions, maxRetriesPerRequest: null, commandTimeout: undefined, disconnectTimeout: 0 };
  return asIoRedis(cluster.duplicate([], { shardedSubscribers: true, enableOfflineQueue: true, redisOptions } satisfies ClusterOptions));
}

/**
 * A client whose fire-and-forget commands cannot become unhandled rejections: code that ignores the promise of a
 * command (the Socket.IO adapter and emitter publish and subscribe that way) would otherwise crash the process
 * when Redis is away. Failures go to `onError`; callers that await still see them.
 */
function guardRejections(client: Redis, onError: (error: unknown) => void): Redis {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) result.catch(onError);
        return result;
      };
    },
  });
}

/** The periodic slot refresh of an ioredis (5.x) Cluster, private in its types. */
interface ClusterSlotsRefresh {
  readonly isRefreshing?: boolean;
  refreshSlotsCache?: (callback: () => void) => void;
  clearNodesRefreshInterval?: () => void;
}

/**
 * Resolves once a Cluster's slot refresh in flight (if any) ended and its timer is cleared. ioredis arms the next
 * periodic round when a refresh ends, whatever its status: a refresh in flight at `disconnect()` would leave a timer
 * that re-arms itself every `slotsRefreshInterval` for ever. A refresh ends within its own `slotsRefreshTimeout`.
 */
function slotsRefreshEnded(client: Redis): Promise<void> {
  const { isRefreshing, refreshSlotsCache, clearNodesRefreshInterval } = client as unknown as ClusterSlotsRefresh;
  if (!client.isCluster || !isRefreshing || !refreshSlotsCache || !clearNodesRefreshInterval) return Promise.resolve();
  // Joins the refresh in flight (starts none); its callbacks run in order, so this one runs after the re-arming round.
  return new Promise((resolve) => {
    refreshSlotsCache.call(client, () => {
      clearNodesRefreshInterval.call(client);
      resolve();
    });
  });
}

/** Disconnects a client at once (no reconnect) and resolves when its socket is gone, so that no timer of it outlives `close()`. */
export function disconnectClient(client: Redis): Promise<void> {
  if (client.status === 'end') return slotsRefreshEnded(client);
  // ioredis emits 'error' events while closing a connection that was still being established; they are expected here.
  client.on('error', () => undefined);
  // Between two reconnect attempts there is no socket to wait for: disconnect() only cancels the next attempt.
  const hasSocket = client.status === 'connecting' || client.status === 'connect' || client.status === 'ready';
  const ended = hasSocket ? new Promise<void>((resolve) => client.once('end', () => resolve())) : Promise.resolve();
  client.disconnect();
  return Promise.all([ended, slotsRefreshEnded(client)]).then(() => undefined);
}

/**
 * The Redis connections of one server node or job publisher: a command client (created from the URL or yours), a
 * subscriber duplicate when asked for, availability tracking from their events, and closing what it created.
 */
export class RedisConnection {
  /** Client for commands and publishing. */
  readonly client: Redis;
  readonly #owned: Redis[] = [];
  readonly #down = new Set<Redis>();
  readonly #onChange: (available: boolean, error?: unknown) => void;
  readonly #detach: (() => void)[] = [];
  #subscriber: Redis | undefined;
  #closed = false;

  /** `onChange` hears when Redis becomes unreachable (with the error) and when every client is ready again. */
  constructor(options: RedisConnectionOptions, onChange: (available: boolean, error?: unknown) => void) {
    this.#onChange = onChange;
    this.client = options.client ? asIoRedis(options.client) : createClient(options.nodes ? { nodes: options.nodes } : { url: options.url });
    if (!options.client) {
      this.#owned.push(this.client);
      failFastOnceConnected(this.client);
    }
    this.#watch(this.client);
  }

  /** The client in subscriber mode (created on first use, closed by `close()`). */
  get subscriber(): Redis {
    if (!this.#subscriber) {
      this.#subscriber = duplicateForSubscribing(this.client);
      this.#owned.push(this.#subscriber);
      this.#watch(this.#subscriber);
    }
    return this.#subscriber;
  }

  /** `client` or `subscriber` wrapped so that ignored command promises cannot crash the process. */
  guarded(client: Redis): Redis {
    return guardRejections(client, (error) => this.#markDown(client, error));
  }

  /** Whether every client is connected and ready. */
  get available(): boolean {
    return this.#down.size === 0;
  }

  /** Disconnects the clients this connection created (resolving once their sockets closed) and stops listening to yours. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const detach of this.#detach.splice(0)) detach();
    await Promise.all(this.#owned.splice(0).map(disconnectClient));
  }

  #watch(client: Redis): void {
    if (client.status !== 'ready') this.#down.add(client);
    const onReady = (): void => {
      if (this.#closed || !this.#down.delete(client)) return;
      if (this.#down.size === 0) this.#onChange(true);
    };
    const onError = (error: unknown): void => this.#markDown(client, error);
    const onClose = (): void => this.#markDown(client, new Error('the Redis connection closed'));
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('close', onClose);
    this.#detach.push(() => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('close', onClose);
    });
  }

  #markDown(client: Redis, error: unknown): void {
    if (this.#closed) return;
    // A failed command on a connected client (a script error, a timeout) does not make the connection down.
    if (client.status !== 'ready') this.#down.add(client);
    this.#onChange(this.available, error);
  }
}
