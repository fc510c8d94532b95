// Command-line flags of `pnpm bench`, with defaults sized to finish in a few minutes on 2 cores.
import { parseArgs } from 'node:util';

/** Default value of every flag. */
export const BENCH_DEFAULTS = {
  /** Runs of every scenario but fan-out (which repeats bursts instead), alternating which server (in the cluster scenario: which fan-out) goes first; the table shows median and range. */
  repeats: 3,
  /** Idle subscribed connections held open for the memory, connect-rate and handle measurements. */
  connections: 5000,
  /** Handshakes in flight at once, across all client processes. */
  concurrency: 100,
  /** Connections opened per batch; batches alternate between the two servers. */
  connectBatch: 500,
  /** Most connections one client process holds (socket.io-client instances are heavy). */
  perProcess: 2500,
  /** Leak rounds of connect → subscribe → receive → disconnect. */
  rounds: 10,
  /** Leak rounds run first and left out of the growth figure (V8 warming up: compiled code, feedback, internal lists). */
  warmupRounds: 5,
  /** Connections per leak round. */
  roundSize: 1000,
  /** Jobs the connections of one leak round are spread over. */
  roundJobs: 10,
  /** Subscribers of the single fan-out job. */
  subscribers: 1000,
  /** Updates published in the fan-out scenario. */
  updates: 200,
  /** Approximate size of one update on the wire, in bytes. */
  updateBytes: 200,
  /** Fan-out runs per server, alternating between the servers; the median is reported. */
  fanoutRepeats: 15,
  /** Client processes the fan-out subscribers are spread over. */
  fanoutProcesses: 2,
  /** Jobs of the one-watcher scenario, each watched by one connection of its own. */
  oneWatcherJobs: 500,
  /** Updates published to each of those jobs per burst (bursts: `fanoutRepeats` per server). */
  oneWatcherUpdates: 40,
  /** Updates published while the slow reader's process is stopped. */
  slowUpdates: 20_000,
  /** Updates published first with the slow reader still reading, at the same rate: the healthy subscribers' latency to compare with. */
  slowControlUpdates: 5000,
  /** Approximate size of one of those updates on the wire, in bytes. */
  slowUpdateBytes: 1024,
  /** Updates per second published to the slow reader's job (slow enough for the healthy subscribers to keep up). */
  slowRate: 250,
  /** Healthy subscribers of the slow reader's job, in another client process, whose delivery latency is measured. */
  slowHealthy: 100,
  /** Subscribers watching a job while the overload scenario pushes the server's heap past its threshold. */
  overloadSubscribers: 100,
  /** New connections tried while overloaded, and again after memory fell back. */
  overloadNewcomers: 200,
  /** Updates published to the watched job while overloaded. */
  overloadUpdates: 100,
  /** Heap threshold of the overload scenario, in MiB (our `limits.overload.heapUsedBytes`); the ballast doubles the heap past it. */
  overloadHeapMib: 64,
  /** Server nodes of the cluster scenario, each in its own process, on one private local Redis Cluster. */
  clusterNodes: 4,
  /** Jobs of the cluster scenario, each watched by one client connected to exactly one node (an equal share per node). */
  clusterJobs: 1000,
  /** Updates a worker publishes per job in the cluster scenario (the last one `completed`). */
  clusterUpdates: 5,
  /** Longest wait for any single step (delivery, cleanup) before the run fails. */
  stepTimeoutMs: 60_000,
};

/** Scenario names that `--only` accepts, in the order they run (`cluster`: classic against sharded fan-out, skipped without redis-server 7+). */
export const BENCH_SCENARIOS = ['capacity', 'fanout', 'oneWatcher', 'leak', 'slowReader', 'overload', 'cluster'];

const integerFlags = Object.keys(BENCH_DEFAULTS);
const kebab = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** Parses `argv` (e.g. `--connections 2000 --rounds 5`) into the bench options. */
export function parseBenchOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(integerFlags.map((name) => [kebab(name), { type: 'string' }])),
      only: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    const lines = integerFlags.map((name) => `  --${kebab(name)} <n>  (default ${BENCH_DEFAULTS[name]})`);
    console.log(['Usage: pnpm bench [-- flags]', ...lines, `  --only ${BENCH_SCENARIOS.join(',')}`].join('\n'));
    process.exit(0);
  }
  const options = { ...BENCH_DEFAULTS };
  for (const name of integerFlags) {
    const raw = values[kebab(name)];
    if (raw === undefined) continue;
    const value = Number(raw);
    const least = name === 'warmupRounds' ? 0 : 1;
    if (!Number.isInteger(value) || value < least) throw new Error(`--${kebab(name)} must be an integer ≥ ${least}, got ${raw}`);
    options[name] = value;
  }
  options.only = values.only ? values.only.split(',') : [...BENCH_SCENARIOS];
  const unknown = options.only.filter((name) => !BENCH_SCENARIOS.includes(name));
  if (unknown.length > 0) throw new Error(`--only takes ${BENCH_SCENARIOS.join(', ')}; unknown: ${unknown.join(', ')}`);
  return options;
}
