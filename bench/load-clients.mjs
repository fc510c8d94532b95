// A group of load-client processes acting as one: counts are split evenly across them and their
// answers merged (slowest finish, latest arrival, summed counts).
import { fileURLToPath } from 'node:url';
import { startChild } from './ipc-channel.mjs';

const loadClientPath = fileURLToPath(new URL('./load-client-process.mjs', import.meta.url));

/** Splits `total` into `parts` integers that differ by at most one. */
function split(total, parts) {
  return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
}

/** Starts `processes` load-client processes. */
export async function startLoadClients(processes) {
  const children = await Promise.all(
    Array.from({ length: processes }, (_, index) => startChild(loadClientPath, { label: `load client ${index}` })),
  );
  const all = (cmd, args) => Promise.all(children.map((child) => child.request(cmd, args)));

  return {
    /** Process ids of the load-client processes (a scenario may stop one to play a slow reader). */
    pids: children.map((child) => child.pid),
    /**
     * Opens `count` subscribed connections to `url`; connection i of a process subscribes to
     * `${jobPrefix}${i % jobModulo}` (or, with `subscribe: false`, only connects, for `subscribePending`).
     * Resolves with the totals and the wall time of the whole batch.
     */
    async open(count, { url, concurrency, jobPrefix, jobModulo = Number.MAX_SAFE_INTEGER, distinctJobsPerProcess = false, subscribe = true }) {
      const counts = split(count, children.length);
      const perProcessConcurrency = split(concurrency, children.length).map((value) => Math.max(1, value));
      const results = await Promise.all(
        children.map((child, index) =>
          child.request('open', {
            url,
            count: counts[index],
            concurrency: perProcessConcurrency[index],
            jobPrefix: distinctJobsPerProcess ? `${jobPrefix}p${index}-` : jobPrefix,
            jobModulo,
            subscribe,
          }),
        ),
      );
      const startedAt = Math.min(...results.map((result) => result.startedAt));
      const endedAt = Math.max(...results.map((result) => result.startedAt + result.elapsedMs));
      const failed = results.reduce((sum, result) => sum + result.failed, 0);
      const firstError = results.find((result) => result.firstError)?.firstError;
      const failuresByCode = {};
      for (const result of results) {
        for (const [code, times] of Object.entries(result.failuresByCode)) failuresByCode[code] = (failuresByCode[code] ?? 0) + times;
      }
      return { opened: results.reduce((sum, result) => sum + result.opened, 0), failed, firstError, failuresByCode, elapsedMs: endedAt - startedAt };
    },
    /** Subscribes the connections `open` left unsubscribed; resolves the totals and the wall time. */
    async subscribePending({ concurrency }) {
      const perProcessConcurrency = split(concurrency, children.length).map((value) => Math.max(1, value));
      const results = await Promise.all(children.map((child, index) => child.request('subscribePending', { concurrency: perProcessConcurrency[index] })));
      const startedAt = Math.min(...results.map((result) => result.startedAt));
      const endedAt = Math.max(...results.map((result) => result.startedAt + result.elapsedMs));
      return {
        subscribed: results.reduce((sum, result) => sum + result.subscribed, 0),
        failed: results.reduce((sum, result) => sum + result.failed, 0),
        firstError: results.find((result) => result.firstError)?.firstError,
        elapsedMs: endedAt - startedAt,
      };
    },
    /** The job ids that `open(count, { jobPrefix, distinctJobsPerProcess: true })` subscribed its connections to, one per connection. */
    jobIds: (count, jobPrefix) => split(count, children.length).flatMap((share, index) => Array.from({ length: share }, (_, i) => `${jobPrefix}p${index}-${i}`)),
    /** Starts counting: each connection is to receive `updates` updates. */
    arm: (updates) => all('arm', { updates }),
    /** Waits for every expected update; resolves with whether all arrived and when the last did. */
    async collect(timeoutMs) {
      const results = await all('collect', { timeoutMs });
      return {
        complete: results.every((result) => result.complete),
        lastAt: Math.max(...results.map((result) => result.lastAt)),
        received: results.reduce((sum, result) => sum + result.received, 0),
      };
    },
    /** Waits until the latest update of every connection has `status`; resolves each connection's count and latest status. */
    async waitForStatus(status, timeoutMs) {
      return (await all('waitForStatus', { status, timeoutMs })).flat();
    },
    /** Starts timing every update's delivery (from its `data.sentAt`, else the server's `at`, to arrival). */
    recordLatencies: () => all('recordLatencies'),
    /**
     * Stops timing; resolves the number of timed updates and their p50/p99 in ms (over several processes: the
     * median process's p50 and the worst p99, which is exact for one process).
     */
    async latencyPercentiles() {
      const results = await all('latencyPercentiles');
      const p50s = results.map((result) => result.p50).sort((a, b) => a - b);
      return {
        samples: results.reduce((sum, result) => sum + result.samples, 0),
        p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
        p99: Math.max(0, ...results.map((result) => result.p99)),
      };
    },
    /** Closes every connection of every process. */
    closeAll: () => all('closeAll'),
    /** Ends the processes. */
    stop: () => Promise.all(children.map((child) => child.stop())),
  };
}
