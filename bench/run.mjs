// `pnpm bench`: our server against bare Socket.IO, scenario by scenario, each server in its own
// process and the load in separate client processes on 127.0.0.1, then classic against sharded fan-out on a local
// Redis Cluster; prints the tables and saves JSON.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseBenchOptions } from './options.mjs';
import { buildRows, formatTables } from './report.mjs';
import { runCapacity } from './scenarios/capacity.mjs';
import { runCluster } from './scenarios/cluster.mjs';
import { runFanout } from './scenarios/fanout.mjs';
import { runLeakRounds } from './scenarios/leak-rounds.mjs';
import { runOneWatcherJobs } from './scenarios/one-watcher-jobs.mjs';
import { runOverload } from './scenarios/overload.mjs';
import { runSlowReader } from './scenarios/slow-reader.mjs';

/**
 * Each scenario resolves the runs of what it compares: both servers, `{ bare: run[], ours: run[] }`, or for `cluster`
 * both fan-outs, `{ classic: run[], sharded: run[] }`; or `{ skipped: reason }` when it cannot run here.
 */
const scenarios = {
  capacity: repeated(runCapacity),
  // Fan-out keeps both servers up and alternates its bursts itself (`--fanout-repeats`).
  fanout: runFanout,
  // The same for jobs of one watcher each.
  oneWatcher: runOneWatcherJobs,
  leak: repeated(runLeakRounds),
  slowReader: repeated(runSlowReader),
  overload: repeated(runOverload),
  // One Redis Cluster for all its runs; it alternates classic and sharded itself.
  cluster: runCluster,
};

/** Runs a one-run scenario `--repeats` times, alternating which server goes first (bare, ours / ours, bare / …). */
function repeated(runOnce) {
  return async (options) => {
    const runs = { bare: [], ours: [] };
    for (let index = 0; index < options.repeats; index++) {
      const { bare, ours } = await runOnce(options, { order: index % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'] });
      runs.bare.push(bare);
      runs.ours.push(ours);
    }
    return runs;
  };
}

/** Fails early when the open-file limit cannot hold the connections of one process. */
function checkFileLimit(options) {
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  const needed = Math.max(options.connections, options.roundSize, options.subscribers) + 512;
  if (Number.isFinite(limit) && limit < needed) {
    throw new Error(`ulimit -n is ${limit}; the server process needs about ${needed} descriptors. Raise it (ulimit -n ${needed}) or lower --connections.`);
  }
  return limit;
}

const options = parseBenchOptions(process.argv.slice(2));
const fileLimit = checkFileLimit(options);
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  fileLimit,
};
console.log(`bench on ${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ${JSON.stringify(options)}`);

const results = {};
for (const [name, run] of Object.entries(scenarios)) {
  if (!options.only.includes(name)) continue;
  const startedAt = Date.now();
  results[name] = await run(options);
  const { skipped } = results[name];
  console.log(skipped ? `  ${name}: skipped (${skipped})` : `  ${name}: done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

const rows = buildRows(results, options);
const date = new Date().toISOString();
console.log(`\n${formatTables(rows, results)}\n`);
const missed = rows.filter((row) => row.met === false);
const skipped = Object.keys(results).filter((name) => results[name].skipped !== undefined);
const unmeasured = skipped.length === 0 ? '' : ` (not measured: ${skipped.join(', ')})`;
console.log(missed.length === 0 ? `every target met${unmeasured}` : `targets missed: ${missed.map((row) => row.metric).join('; ')}${unmeasured}`);

const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const file = new URL(`${date.replaceAll(':', '-')}.json`, resultsDir);
writeFileSync(file, `${JSON.stringify({ date, machine, options, rows, results }, null, 2)}\n`);
console.log(`saved ${file.pathname}`);
