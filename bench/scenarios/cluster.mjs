// Redis Cluster, ours against ours: classic against sharded fan-out. A private local Redis Cluster (3 masters + 3
// replicas), `--cluster-nodes` server nodes in their own processes, `--cluster-jobs` jobs each watched by one client
// connected to exactly one node, a worker publishing `--cluster-updates` updates per job with `createJobPublisher`.
// Each node counts the messages its Redis subscribers receive and its CPU time; with sharded subscriptions a node
// should receive only its own jobs' updates (1/nodes of classic). Runs `--repeats` times, alternating which fan-out
// goes first, on one cluster; reports `{ skipped }` when no redis-server 7+ / redis-cli is there to start one.
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createJobPublisher } from '@org/ws-server';
import { startChild } from '../ipc-channel.mjs';
import { startLoadClients } from '../load-clients.mjs';
import { redisClusterUnavailable, startRedisCluster } from '../redis-cluster.mjs';

const CLIENT_PROCESSES = 2;
/** Updates the worker has in flight at once. */
const PUBLISH_CONCURRENCY = 50;
const nodeProcessPath = fileURLToPath(new URL('../cluster-node-process.mjs', import.meta.url));

/** The jobs the clients of node `node` watch, as `startLoadClients().open` names them with `distinctJobsPerProcess`. */
function jobsOfNode(node, perNode) {
  const perProcess = Array.from({ length: CLIENT_PROCESSES }, (_, index) => Math.floor(perNode / CLIENT_PROCESSES) + (index < perNode % CLIENT_PROCESSES ? 1 : 0));
  return perProcess.flatMap((count, process) => Array.from({ length: count }, (_, index) => `n${node}-p${process}-${index}`));
}

/**
 * Every node's counts once none changed between two reads 100 ms apart: with classic fan-out a node may still be
 * receiving updates none of its clients watch after every client had its own. A node's CPU is taken from the read at
 * which its count first reached its final value, so the idle wait is not charged to it.
 */
async function settledCounts(nodes) {
  let counts = await Promise.all(nodes.map((node) => node.request('counts')));
  for (let read = 0; read < 100; read++) {
    await delay(100);
    const next = await Promise.all(nodes.map((node) => node.request('counts')));
    if (next.every((count, index) => count.messages === counts[index].messages)) return counts;
    counts = next.map((count, index) => (count.messages === counts[index].messages ? counts[index] : count));
  }
  throw new Error('the nodes kept receiving messages from Redis for 10 s after every update was delivered');
}

/** One run with `fanout`: fresh nodes, clients and key prefix; resolves the counts of every node. */
async function runOnce(cluster, fanout, options) {
  const { clusterNodes, clusterJobs, clusterUpdates } = options;
  const keyPrefix = `bench-${fanout}-${Date.now()}:`;
  const perNode = Math.floor(clusterJobs / clusterNodes);
  const config = JSON.stringify({ nodes: cluster.nodes, keyPrefix, fanout });
  const nodes = await Promise.all(Array.from({ length: clusterNodes }, (_, index) => startChild(nodeProcessPath, { args: [config], label: `cluster node ${index}` })));
  let clients;
  let publisher;
  try {
    clients = await startLoadClients(CLIENT_PROCESSES);
    publisher = createJobPublisher({ redis: { nodes: cluster.nodes, keyPrefix, fanout } });
    const ports = await Promise.all(nodes.map((node) => node.request('port')));
    for (const [index, port] of ports.entries()) {
      const opened = await clients.open(perNode, { url: `http://127.0.0.1:${port}`, concurrency: 50, jobPrefix: `n${index}-`, distinctJobsPerProcess: true });
      if (opened.failed > 0) throw new Error(`cluster ${fanout}, node ${index}: ${opened.failed} clients failed: ${opened.firstError}`);
    }
    await clients.arm(clusterUpdates);
    await Promise.all(nodes.map((node) => node.request('reset')));
    const jobs = Array.from({ length: clusterNodes }, (_, index) => jobsOfNode(index, perNode)).flat();
    const startedAt = performance.now();
    for (let update = 1; update <= clusterUpdates; update++) {
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) await publisher.update(jobs[next++], { status: update === clusterUpdates ? 'completed' : 'running', progress: (100 * update) / clusterUpdates });
      };
      await Promise.all(Array.from({ length: PUBLISH_CONCURRENCY }, worker));
    }
    const delivered = await clients.collect(options.stepTimeoutMs);
    const elapsedMs = performance.now() - startedAt;
    if (!delivered.complete) throw new Error(`cluster ${fanout}: not every client got its ${clusterUpdates} updates (${delivered.received} received)`);
    const counts = await settledCounts(nodes);
    return {
      fanout,
      published: jobs.length * clusterUpdates,
      elapsedMs,
      nodes: counts.map(({ messages, cpuMicros }) => {
        const deliveredByNode = perNode * clusterUpdates;
        return { received: messages, delivered: deliveredByNode, cpuMicros, cpuMicrosPerDelivered: cpuMicros / deliveredByNode };
      }),
    };
  } finally {
    await publisher?.close();
    await clients?.stop();
    await Promise.all(nodes.map(async (node) => (await node.request('close').catch(() => undefined), node.stop())));
  }
}

/** Runs both fan-outs `options.repeats` times on one private cluster: `{ classic: run[], sharded: run[] }`, or `{ skipped: reason }`. */
export async function runCluster(options) {
  const unavailable = redisClusterUnavailable();
  if (unavailable) return { skipped: unavailable };
  const cluster = await startRedisCluster();
  try {
    const runs = { classic: [], sharded: [] };
    for (let index = 0; index < options.repeats; index++) {
      for (const fanout of index % 2 === 0 ? ['classic', 'sharded'] : ['sharded', 'classic']) runs[fanout].push(await runOnce(cluster, fanout, options));
    }
    return runs;
  } finally {
    await cluster.stop();
  }
}
