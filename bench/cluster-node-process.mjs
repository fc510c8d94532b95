// One job-server node of the bench's `cluster` scenario in its own process, on the bench's Redis Cluster with the fan-out it is
// given. It counts every message its Redis subscriber connections receive (whatever the adapter does with them) and
// the CPU time it uses, so that classic and sharded fan-out can be compared per node.
import { createRequire } from 'node:module';
import { createJobServer } from '@org/ws-server';
import { serveRequests } from './ipc-channel.mjs';

const { nodes, keyPrefix, fanout } = JSON.parse(process.argv[2]);
// The ioredis the server loads: each message a subscriber connection receives is one of these events on a `Redis`.
const serverRequire = createRequire(createRequire(import.meta.url).resolve('@org/ws-server'));
const { Redis } = serverRequire('ioredis');
const MESSAGE_EVENTS = new Set(['messageBuffer', 'pmessageBuffer', 'smessageBuffer']);
let messages = 0;
const emit = Redis.prototype.emit;
Redis.prototype.emit = function countingEmit(event, ...args) {
  if (MESSAGE_EVENTS.has(event)) messages += 1;
  return emit.call(this, event, ...args);
};

const server = createJobServer({ redis: { nodes, keyPrefix, fanout }, limits: { maxConnectionsPerIp: 100_000 } });
const port = await server.listen({ port: 0, host: '127.0.0.1' });
let cpuAtReset = process.cpuUsage();

process.on('SIGTERM', () => process.exit(0));
serveRequests({
  port: () => port,
  reset() {
    messages = 0;
    cpuAtReset = process.cpuUsage();
  },
  /** Messages received from Redis and CPU microseconds used since `reset`. */
  counts() {
    const { user, system } = process.cpuUsage(cpuAtReset);
    return { messages, cpuMicros: user + system, connections: server.stats().connections };
  },
  close: () => server.close({ timeoutMs: 1000 }),
});
