// Turns the raw results of both servers into rows (bare, ours, ratio, target, verdict) and a table.

const integer = (value) => Math.round(value).toLocaleString('en-US');
const percent = (value) => `${(value * 100).toFixed(2)} %`;
const ratio = (ours, bare) => (bare === 0 ? null : ours / bare);

/** Builds one row per measured quantity; `met` is null when the row has no target. */
export function buildRows({ bare, ours }, options) {
  const rows = [];
  const add = (metric, bareValue, oursValue, format, target, met, shownRatio = ratio(oursValue, bareValue)) =>
    rows.push({ metric, bare: bareValue, ours: oursValue, ratio: shownRatio, target, met, text: [format(bareValue), format(oursValue)] });

  if (bare.capacity && ours.capacity) {
    const [b, o] = [bare.capacity, ours.capacity];
    const n = integer(o.connections);
    add(`heap bytes / idle subscribed conn (${n})`, b.heapPerConnection, o.heapPerConnection, integer, '≤ 1.10×', o.heapPerConnection <= 1.1 * b.heapPerConnection);
    add(`RSS bytes / idle subscribed conn (${n})`, b.rssPerConnection, o.rssPerConnection, integer, '≤ 1.10×', o.rssPerConnection <= 1.1 * b.rssPerConnection);
    add(`connections/s (concurrency ${options.concurrency})`, b.connectsPerSecond, o.connectsPerSecond, integer, '≥ 0.90×', o.connectsPerSecond >= 0.9 * b.connectsPerSecond);
    add('server CPU µs per connect + subscribe', b.serverCpuMicrosPerConnect, o.serverCpuMicrosPerConnect, integer, null, null);
    add('Timeout handles at 0 conns', b.timersAtZero, o.timersAtZero, integer, null, null);
    add(`Timeout handles at ${n} conns`, b.timersAtN, o.timersAtN, integer, null, null);
    add('active handles of every kind at 0 conns', countResources(b.resourcesAtZero), countResources(o.resourcesAtZero), integer, null, null);
    add(`active handles of every kind at ${n} conns`, countResources(b.resourcesAtN), countResources(o.resourcesAtN), integer, null, null);
    // Socket.IO keeps one ping timer per connection in both servers; ours must add none on top.
    const extraGrowth = o.timersAtN - o.timersAtZero - (b.timersAtN - b.timersAtZero);
    add('timers added per conn beyond Socket.IO', 0, extraGrowth / o.connections, (value) => value.toFixed(4), 'constant (0)', extraGrowth <= 0, null);
  }
  if (bare.fanout && ours.fanout) {
    const [b, o] = [bare.fanout, ours.fanout];
    const label = `${integer(o.subscribers)} subs × ${o.updates} updates of ${o.updateBytes} B`;
    add(`fan-out msgs/s (${label})`, b.messagesPerSecond, o.messagesPerSecond, integer, '≥ 0.90×', o.messagesPerSecond >= 0.9 * b.messagesPerSecond);
    add('fan-out ms until last client has last update', b.lastDeliveryMs, o.lastDeliveryMs, integer, '≤ 1.11×', o.lastDeliveryMs <= b.lastDeliveryMs / 0.9);
    add('fan-out server CPU µs per delivered msg', b.serverCpuMicrosPerMessage, o.serverCpuMicrosPerMessage, (value) => value.toFixed(2), null, null);
  }
  if (bare.leak && ours.leak) {
    const [b, o] = [bare.leak, ours.leak];
    const label = `${options.rounds} rounds × ${integer(options.roundSize)} after ${options.warmupRounds} warm-up`;
    add(`heap growth last/first round (${label})`, b.heapGrowth, o.heapGrowth, percent, '≤ 1 %', o.heapGrowth <= 0.01, null);
    add('heap growth last/first round, warm-up included', b.heapGrowthWithWarmup, o.heapGrowthWithWarmup, percent, null, null, null);
    add('heap trend, bytes per round (least squares)', b.heapSlopeBytesPerRound, o.heapSlopeBytesPerRound, integer, null, null, null);
    const largest = (result) => Math.max(...result.rounds.map((round) => sumRegistries(round.registries)));
    add('largest registry total after a round', largest(b), largest(o), integer, '= 0', largest(o) === 0 && o.allDrained, null);
  }
  if (bare.slowReader && ours.slowReader) {
    const [b, o] = [bare.slowReader, ours.slowReader];
    const mib = (value) => `${(value / 2 ** 20).toFixed(1)} MiB`;
    const label = `${integer(o.updates)} updates of ${options.slowUpdateBytes} B`;
    add(`server memory held for one stopped reader (heap + external, ${label})`, b.heldBytes, o.heldBytes, mib, '≤ 0.10×', o.heldBytes <= 0.1 * b.heldBytes);
    add('updates the resumed reader received (the last one terminal)', b.readerReceived, o.readerReceived, integer, null, null);
  }
  return rows;
}

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

/** Renders the rows as a Markdown table. */
export function formatTable(rows) {
  const lines = ['| metric | bare Socket.IO | ours | ours / bare | target | met |', '|---|---:|---:|---:|---|---|'];
  for (const row of rows) {
    const shownRatio = row.ratio === null ? '' : `${row.ratio.toFixed(2)}×`;
    const verdict = row.met === null ? '' : row.met ? '✓' : '✗';
    lines.push(`| ${row.metric} | ${row.text[0]} | ${row.text[1]} | ${shownRatio} | ${row.target ?? ''} | ${verdict} |`);
  }
  return lines.join('\n');
}
