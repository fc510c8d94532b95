import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createJobPublisher, type JobPublisher } from '@org/ws-server';
import { RESTART_DOWNTIME_MS } from './demo-app';
import type { DemoConfig } from './demo-config';
import { startDemoServer, type DemoServer } from './demo-server';
import { createJobSimulator, type JobSimulator } from './job-simulator';

/** Options of {@link startClusterDemo}. */
export interface ClusterDemoOptions {
  /** Settings from flags and environment; node `i` listens on `config.port + i`. */
  config: DemoConfig;
  /** Number of server nodes (2 or more). */
  nodes: number;
  /** The Redis every node and the simulated workers share. */
  redisUrl: string;
  /** Folder served as the page. @default apps/demo/public */
  publicDir?: string;
  /** Random source of the simulated jobs. @default Math.random */
  random?: () => number;
  /** Prefix of every Redis key of this run (a test passes its own, to remove the keys afterwards). @default `ws-demo:<random id>:` */
  keyPrefix?: string;
}

/** The multi-node demo: several job servers sharing one Redis, and workers publishing through it. */
export interface ClusterDemo {
  /** The nodes currently running (a restarting node is missing for a moment). */
  readonly nodes: readonly (DemoServer | undefined)[];
  /** Address of each node's page. */
  readonly urls: readonly string[];
  /** The simulated workers, publishing with `createJobPublisher` (the multi-node pattern). */
  readonly simulator: JobSimulator;
  /** Stops the workers and every node. Idempotent. */
  close(): Promise<void>;
}

/** What `--nodes N` needs beyond the one-node settings. */
export class ClusterDemoConfigError extends Error {
  override name = 'ClusterDemoConfigError';
}

/**
 * Starts `nodes` demo servers on consecutive ports with the `redis` option: a job started on one page is watched
 * from every node, and a page whose node restarts fails over to the next (its client has every node's URL).
 */
export async function startClusterDemo(options: ClusterDemoOptions): Promise<ClusterDemo> {
  const { config, redisUrl } = options;
  if (config.port === 0 || config.port + options.nodes - 1 > 65_535) {
    throw new ClusterDemoConfigError('--nodes needs a fixed --port, with room for one port per node above it');
  }
  // One prefix per run, so that jobs left in Redis by an earlier run (they expire by themselves) never collide.
  const redis = { url: redisUrl, keyPrefix: options.keyPrefix ?? `ws-demo:${randomUUID().slice(0, 8)}:` };
  const publisher: JobPublisher = createJobPublisher({ redis });
  const simulator = createJobSimulator({
    ...config.jobs,
    ...(options.random ? { random: options.random } : {}),
    publish: (jobId, input) => publisher.update(jobId, input),
  });
  const publicDir = options.publicDir ?? fileURLToPath(new URL('../public', import.meta.url));
  const nodePorts = Array.from({ length: options.nodes }, (_, index) => config.port + index);
  const nodes: (DemoServer | undefined)[] = nodePorts.map(() => undefined);
  const restarting = new Set<number>();
  let closed = false;

  const startNode = async (index: number): Promise<DemoServer> => {
    const node = await startDemoServer({
      config: { ...config, port: nodePorts[index]! },
      redis,
      nodePorts,
      simulator,
      publicDir,
      restart: () => {
        if (restarting.has(index) || closed) return;
        restarting.add(index);
        void restartNode(index)
          .catch((error: unknown) => console.error(`demo: restart of node ${index + 1} failed`, error))
          .finally(() => restarting.delete(index));
      },
    });
    nodes[index] = node;
    return node;
  };
  const restartNode = async (index: number): Promise<void> => {
    const node = nodes[index];
    nodes[index] = undefined;
    await node?.close();
    await new Promise((resolve) => setTimeout(resolve, RESTART_DOWNTIME_MS));
    if (!closed) await startNode(index);
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    simulator.close();
    await Promise.all(nodes.map((node) => node?.close()));
    await publisher.close();
  };
  try {
    for (let index = 0; index < nodePorts.length; index += 1) await startNode(index);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node!.url),
    simulator,
    close,
  };
}

/** `--nodes N` (or `DEMO_NODES`) and `REDIS_URL`, taken out of the arguments; the rest is the one-node configuration. */
export interface ClusterFlags {
  /** Number of nodes; 1 is the ordinary in-memory demo. */
  nodes: number;
  /** Required when `nodes` > 1. */
  redisUrl: string | undefined;
  /** The other arguments, for `parseDemoConfig`. */
  rest: string[];
}

/** Help line of the multi-node flag, for `--help`. */
export const CLUSTER_HELP = `  ${'--nodes <n>'.padEnd(28)} ${'DEMO_NODES'.padEnd(30)} run n server nodes sharing REDIS_URL (default 1, no Redis)`;

/**
 * Takes `--nodes <n>` / `--nodes=<n>` out of `argv` (a flag wins over `DEMO_NODES`).
 * @throws ClusterDemoConfigError when n is not an integer from 1 to 10, or n > 1 without `REDIS_URL`.
 */
export function takeClusterFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ClusterFlags {
  const rest: string[] = [];
  let raw = env.DEMO_NODES;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--nodes') {
      raw = argv[index + 1];
      index += 1;
    } else if (arg.startsWith('--nodes=')) {
      raw = arg.slice('--nodes='.length);
    } else {
      rest.push(arg);
    }
  }
  const nodes = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 10) throw new ClusterDemoConfigError(`--nodes=${raw}: must be an integer from 1 to 10`);
  const redisUrl = env.REDIS_URL || undefined;
  if (nodes > 1 && !redisUrl) throw new ClusterDemoConfigError('--nodes needs REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379 pnpm demo --nodes 2');
  return { nodes, redisUrl, rest };
}
