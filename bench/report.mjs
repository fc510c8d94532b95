// Turns the runs of what each scenario compares into rows (two columns, ratio, target, verdict) and tables: bare
// Socket.IO against ours, and for the Redis Cluster scenario classic against sharded fan-out. Every scenario ran
// several times: a figure is the median of its runs, shown with their range, and the ratio and the verdict are read
// from the medians.

const integer = (value) => Math.round(value).toLocaleString('en-US');
const percent = (value) => `${(value * 100).toFixed(2)} %`;
const mib = (value) => `${(value / 2 ** 20).toFixed(1)} MiB`;
const decimals = (digits) => (value) => value.toFixed(digits);

/** The two columns of each table: the keys of a scenario's runs and their headings. */
const TABLES = {
  servers: { keys: ['bare', 'ours'], heading: '| metric | bare Socket.IO | ours | ours / bare | target | met |' },
  cluster: { keys: ['classic', 'sharded'], heading: '| Redis Cluster (3 masters + 3 replicas) | classic fan-out | sharded fan-out | sharded / classic | target | met |' },
};
const tableOf = (scenario) => (scenario === 'cluster' ? 'cluster' : 'servers');

/** Median, smallest and largest of `values`. */
function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), runs: sorted.length };
}

/** `median (min–max)`, or the single value of one run. */
function shown(stats, format) {
  if (stats.runs === 1 || format(stats.min) === format(stats.max)) return format(stats.median);
  return `${format(stats.median)} (${format(stats.min)}–${format(stats.max)})`;
}

/**
 * Builds one row per measured quantity from `{ scenario: { bare: run[], ours: run[] } | { classic, sharded } |
 * { skipped } }`; `met` is null when the row has no target, `table` names the table the row belongs to.
 */
export function buildRows(results, options) {
  const rows = [];
  const side = (key) => Object.fromEntries(Object.entries(results).flatMap(([name, runs]) => (runs[key] ? [[name, runs[key]]] : [])));
  const [bare, ours] = [side('bare'), side('ours')];
  /**
   * One row: `pick` reads the figure from one run; `meets(leftMedian, rightMedian)` says whether the target holds;
   * `withRatio` false for rows where a ratio means nothing (signed growth, counts that should be 0).
   */
  const add = (metric, scenario, pick, format, target = null, meets = null, withRatio = true) => {
    const table = tableOf(scenario);
    const [leftKey, rightKey] = TABLES[table].keys;
    const [b, o] = [spread(results[scenario][leftKey].map(pick)), spread(results[scenario][rightKey].map(pick))];
    const ratio = withRatio && b.median !== 0 ? o.median / b.median : null;
    rows.push({ table, metric, [leftKey]: b, [rightKey]: o, ratio, target, met: meets ? meets(b.median, o.median) : null, text: [shown(b, format), shown(o, format)] });
  };
  const first = (scenario) => ours[scenario][0];

  if (bare.capacity && ours.capacity) {
    const n = integer(first('capacity').connections);
    add(`heap bytes / idle subscribed conn (${n})`, 'capacity', (run) => run.heapPerConnection, integer, '≤ 1.05×', (b, o) => o <= 1.05 * b);
    add(`RSS bytes / idle subscribed conn (${n})`, 'capacity', (run) => run.rssPerConnection, integer, '≤ 1.10×', (b, o) => o <= 1.1 * b);
    add(`connections/s (concurrency ${options.concurrency})`, 'capacity', (run) => run.connectsPerSecond, integer, '≥ 0.90×', (b, o) => o >= 0.9 * b);
    add('server CPU µs per connect (handshake)', 'capacity', (run) => run.serverCpuMicrosPerConnect, integer, '≤ 1.05×', (b, o) => o <= 1.05 * b);
    add('server CPU µs per subscribe-job', 'capacity', (run) => run.serverCpuMicrosPerSubscribe, integer, '≤ 1.10×', (b, o) => o <= 1.1 * b);
    add('Timeout handles at 0 conns', 'capacity', (run) => run.timersAtZero, integer);
    add(`Timeout handles at ${n} conns`, 'capacity', (run) => run.timersAtN, integer);
    add('active handles of every kind at 0 conns', 'capacity', (run) => countResources(run.resourcesAtZero), integer);
    add(`active handles of every kind at ${n} conns`, 'capacity', (run) => countResources(run.resourcesAtN), integer);
    // Socket.IO keeps one ping timer per connection in both servers; ours must add none on top (worst run of each).
    const growth = (run) => run.timersAtN - run.timersAtZero;
    const extraPerConnection = ours.capacity.map((run, index) => (growth(run) - growth(bare.capacity[index])) / run.connections);
    rows.push({
      metric: 'timers added per conn beyond Socket.IO (worst run)',
      ratio: null,
      target: 'constant (0)',
      met: Math.max(...extraPerConnection) <= 0,
      text: ['0.0000', Math.max(...extraPerConnection).toFixed(4)],
    });
  }
  if (bare.fanout && ours.fanout) {
    const run = first('fanout');
    const label = `${integer(run.subscribers)} subs × ${run.updates} updates of ${run.updateBytes} B`;
    add(`fan-out msgs/s (${label})`, 'fanout', (burst) => burst.messagesPerSecond, integer, '≥ 0.90×', (b, o) => o >= 0.9 * b);
    add('fan-out ms until last client has last update', 'fanout', (burst) => burst.lastDeliveryMs, integer, '≤ 1.11×', (b, o) => o <= b / 0.9);
    add('fan-out server CPU µs per delivered msg', 'fanout', (burst) => burst.serverCpuMicrosPerMessage, decimals(2), '≤ 1.10×', (b, o) => o <= 1.1 * b);
  }
  if (bare.oneWatcher && ours.oneWatcher) {
    const { jobs, updatesPerJob } = first('oneWatcher');
    add(`one watcher per job: server CPU µs per delivered update (${integer(jobs)} jobs × ${updatesPerJob} updates)`, 'oneWatcher', (burst) => burst.serverCpuMicrosPerUpdate, decimals(1));
  }
  if (bare.leak && ours.leak) {
    const label = `${options.rounds} rounds × ${integer(options.roundSize)} after ${options.warmupRounds} warm-up`;
    add(`heap growth last/first round (${label})`, 'leak', (run) => run.heapGrowth, percent, '≤ 1 %', (_b, o) => o <= 0.01, false);
    add('heap growth last/first round, warm-up included', 'leak', (run) => run.heapGrowthWithWarmup, percent, null, null, false);
    add('heap trend, bytes per round (least squares)', 'leak', (run) => run.heapSlopeBytesPerRound, integer, null, null, false);
    const largest = (run) => (run.allDrained ? Math.max(...run.rounds.map((round) => sumRegistries(round.registries))) : Number.POSITIVE_INFINITY);
    const worst = (runs) => Math.max(...runs.map(largest));
    rows.push({ metric: 'largest registry total after a round (worst run)', ratio: null, target: '= 0', met: worst(ours.leak) === 0, text: [integer(worst(bare.leak)), integer(worst(ours.leak))] });
  }
  if (bare.slowReader && ours.slowReader) {
    const run = first('slowReader');
    const label = `${integer(run.updates)} updates of ${options.slowUpdateBytes} B, ${run.healthySubscribers} healthy subscribers`;
    add(`server memory held for one stopped reader (heap + external; ${label})`, 'slowReader', (r) => r.heldBytes, mib, '≤ 2 MiB', (_b, o) => o <= 2 * 2 ** 20);
    const times = (value) => `${value.toFixed(2)}×`;
    for (const [label, stopped, reading] of [
      ['p50', (r) => r.healthyLatencyP50Ms, (r) => r.readingLatencyP50Ms],
      ['p99', (r) => r.healthyLatencyP99Ms, (r) => r.readingLatencyP99Ms],
    ]) {
      add(`healthy subscribers: delivery latency ${label}, ms, reader stopped`, 'slowReader', stopped, decimals(2));
      add(`healthy subscribers: delivery latency ${label}, ms, reader reading (${integer(options.slowControlUpdates)} updates before the stop)`, 'slowReader', reading, decimals(2));
      // What the stopped reader does to the others, within each server: the target is on ours.
      add(`healthy subscribers: latency ${label}, reader stopped / reading`, 'slowReader', (r) => stopped(r) / reading(r), times, '≤ 1.10 (ours)', (_b, o) => o <= 1.1, false);
    }
    add('updates each healthy subscriber received (fewest)', 'slowReader', (r) => r.healthyReceivedMin, integer);
    add('updates the resumed reader received (the last one terminal)', 'slowReader', (r) => r.readerReceived, integer);
  }
  if (bare.overload && ours.overload) {
    const run = first('overload');
    const label = `heap pushed to ${mib(run.heapWithBallast)} past a ${mib(run.thresholdBytes)} threshold`;
    const newcomers = run.newcomers;
    add(`new connections refused while overloaded (of ${newcomers}; ${label})`, 'overload', (r) => r.refusedWhileOverloaded, integer, `${newcomers}, all OVERLOADED`, (_b, o) => o === newcomers && ours.overload.every((r) => r.refusedByCode.OVERLOADED === newcomers), false);
    add(`updates the ${run.subscribers} existing subscribers received meanwhile (of ${run.subscribers * options.overloadUpdates})`, 'overload', (r) => r.existingReceived, integer, 'all', (_b, o) => o === run.subscribers * options.overloadUpdates, false);
    rows.push({
      metric: 'ms from dropping the ballast (GC included) to accepting again (health ok)',
      ratio: null,
      target: null,
      met: null,
      text: ['–', shown(spread(ours.overload.map((r) => r.recoveredAfterMs)), integer)],
    });
    add(`new connections accepted after recovery (of ${newcomers})`, 'overload', (r) => r.acceptedAfterRecovery, integer, `${newcomers}`, (_b, o) => o === newcomers, false);
    rows.push({ metric: 'server process still serving after every run', ratio: null, target: 'yes', met: ours.overload.every((r) => r.survived), text: [yesNo(bare.overload), yesNo(ours.overload)] });
  }
  if (results.cluster?.classic) {
    const { nodes, published } = results.cluster.sharded[0];
    const share = 1 / nodes.length;
    for (const [index, node] of nodes.entries()) {
      const label = `node ${index}: updates received from Redis (of ${integer(published)} published; its clients watch ${integer(node.delivered / options.clusterUpdates)} jobs)`;
      // Sharded: only its own jobs' updates, which is 1/nodes of what classic pub/sub brings every node.
      add(label, 'cluster', (run) => run.nodes[index].received, integer, `≈ ${share.toFixed(2)}× (own jobs only)`, (c, s) => Math.abs(s / c / share - 1) <= 0.1);
    }
    for (const index of nodes.keys()) {
      add(`node ${index}: CPU µs per delivered update`, 'cluster', (run) => run.nodes[index].cpuMicrosPerDelivered, decimals(1), '≤ 1.00×', (c, s) => s <= c);
    }
    add('ms from the first publish until every client had every update', 'cluster', (run) => run.elapsedMs, integer);
  }
  for (const row of rows) row.table ??= 'servers';
  return rows;
}

const yesNo = (runs) => (runs.every((run) => run.survived) ? 'yes' : 'no');

/** Number of active handles and requests of every kind in a `getActiveResourcesInfo()` tally. */
function countResources(resources) {
  return Object.values(resources).reduce((sum, count) => sum + count, 0);
}

// `timers` is a constant, not a registry of connections or jobs; `pendingAcks` is the sum of two other entries.
const NOT_SUMMED = new Set(['timers', 'pendingAcks']);

/** Sum of every registry size, each counted once (`timers` and the derived `pendingAcks` left out). */
export function sumRegistries(registries) {
  return Object.entries(registries).reduce((sum, [name, size]) => (NOT_SUMMED.has(name) ? sum : sum + size), 0);
}

/** Renders the rows as Markdown tables (one per `TABLES` entry that has rows), then a line per skipped scenario. */
export function formatTables(rows, results) {
  const blocks = [];
  for (const [table, { heading }] of Object.entries(TABLES)) {
    const ofTable = rows.filter((row) => row.table === table);
    if (ofTable.length === 0) continue;
    const lines = [heading, '|---|---:|---:|---:|---|---|'];
    for (const row of ofTable) {
      const shownRatio = row.ratio === null ? '' : `${row.ratio.toFixed(2)}×`;
      const verdict = row.met === null ? '' : row.met ? '✓' : '✗';
      lines.push(`| ${row.metric} | ${row.text[0]} | ${row.text[1]} | ${shownRatio} | ${row.target ?? ''} | ${verdict} |`);
    }
    blocks.push(lines.join('\n'));
  }
  const skipped = Object.entries(results).filter(([, runs]) => runs.skipped !== undefined);
  if (skipped.length > 0) blocks.push(skipped.map(([name, { skipped: reason }]) => `skipped: ${name} (${reason})`).join('\n'));
  return blocks.join('\n\n');
}
