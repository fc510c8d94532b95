// `pnpm bench:cluster`: 4 server nodes (one process each) on a private local Redis Cluster, 1,000 jobs each watched by
// one client connected to exactly one node (250 jobs per node), a worker publishing every job's updates with
// `createJobPublisher`. Runs the classic fan-out, then the sharded one, and prints per node the messages it received
// from Redis and its CPU per delivered update. Flags: --jobs (1000), --updates per job (5), --nodes (4).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createJobPublisher } from '@org/ws-server';
import { startChild } from './ipc-channel.mjs';
import { startLoadClients } from './load-clients.mjs';
import { startRedisCluster } from './redis-cluster.mjs';

const { values } = parseArgs({ options: { jobs: { type: 'string' }, updates: { type: 'string' }, nodes: { type: 'string' } } });
const options = { jobs: Number(values.jobs ?? 1000), updates: Number(values.updates ?? 5), nodes: Number(values.nodes ?? 4) };
const CLIENT_PROCESSES = 2;
const nodeProcessPath = fileURLToPath(new URL('./cluster-node-process.mjs', import.meta.url));

/** The jobs the clients of node `node` watch, as `startLoadClients().open` names them with `distinctJobsPerProcess`. */
function jobsOfNode(node, perNode) {
  const perProcess = Array.from({ length: CLIENT_PROCESSES }, (_, index) => Math.floor(perNode / CLIENT_PROCESSES) + (index < perNode % CLIENT_PROCESSES ? 1 : 0));
  return perProcess.flatMap((count, process) => Array.from({ length: count }, (_, index) => `n${node}-p${process}-${index}`));
}

/** One run with `fanout`: fresh nodes, clients and key prefix; resolves per node counts. */
async function run(cluster, fanout) {
  const keyPrefix = `bench-${fanout}-${Date.now()}:`;
  const perNode = Math.floor(options.jobs / options.nodes);
  const config = JSON.stringify({ nodes: cluster.nodes, keyPrefix, fanout });
  const nodes = await Promise.all(Array.from({ length: options.nodes }, (_, index) => startChild(nodeProcessPath, { args: [config], label: `node ${index}` })));
  const clients = await startLoadClients(CLIENT_PROCESSES);
  const publisher = createJobPublisher({ redis: { nodes: cluster.nodes, keyPrefix, fanout } });
  try {
    const ports = await Promise.all(nodes.map((node) => node.request('port')));
    for (const [index, port] of ports.entries()) {
      const opened = await clients.open(perNode, { url: `http://127.0.0.1:${port}`, concurrency: 50, jobPrefix: `n${index}-`, distinctJobsPerProcess: true });
      if (opened.failed > 0) throw new Error(`node ${index}: ${opened.failed} clients failed: ${opened.firstError}`);
    }
    await clients.arm(options.updates);
    await Promise.all(nodes.map((node) => node.request('reset')));
    const jobs = Array.from({ length: options.nodes }, (_, index) => jobsOfNode(index, perNode)).flat();
    const startedAt = performance.now();
    for (let update = 1; update <= options.updates; update++) {
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) await publisher.update(jobs[next++], { status: update === options.updates ? 'completed' : 'running', progress: (100 * update) / options.updates });
      };
      await Promise.all(Array.from({ length: 50 }, worker));
    }
    const delivered = await clients.collect(60_000);
    const elapsedMs = performance.now() - startedAt;
    if (!delivered.complete) throw new Error(`${fanout}: not every client got its ${options.updates} updates (${delivered.received} received)`);
    const counts = await Promise.all(nodes.map((node) => node.request('counts')));
    return { elapsedMs, perNode: counts.map((count) => ({ ...count, delivered: perNode * options.updates })) };
  } finally {
    await publisher.close();
    await clients.stop();
    await Promise.all(nodes.map(async (node) => (await node.request('close').catch(() => undefined), node.stop())));
  }
}

const cluster = await startRedisCluster();
try {
  console.log(`bench:cluster ${JSON.stringify(options)} on a local Redis Cluster (3 masters + 3 replicas)`);
  const results = { classic: await run(cluster, 'classic'), sharded: await run(cluster, 'sharded') };
  const published = options.jobs * options.updates;
  console.log(`\n${published} updates published; each node's clients watch ${Math.floor(options.jobs / options.nodes)} jobs\n`);
  console.log('| node | msgs from Redis, classic | sharded | sharded / classic | CPU µs per delivered update, classic | sharded |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (let index = 0; index < options.nodes; index++) {
    const [classic, sharded] = [results.classic.perNode[index], results.sharded.perNode[index]];
    const perDelivered = (entry) => (entry.cpuMicros / entry.delivered).toFixed(1);
    console.log(`| ${index} | ${classic.messages} | ${sharded.messages} | ${(sharded.messages / classic.messages).toFixed(2)} | ${perDelivered(classic)} | ${perDelivered(sharded)} |`);
  }
  console.log(`\nwall time: classic ${results.classic.elapsedMs.toFixed(0)} ms, sharded ${results.sharded.elapsedMs.toFixed(0)} ms`);
} finally {
  await cluster.stop();
}
