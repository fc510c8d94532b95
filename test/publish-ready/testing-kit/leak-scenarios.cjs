// What every runner checks, as a user's suite would: CommonJS, so the Jest suite (CommonJS) and the ESM suites
// of Vitest and node:test share it. Each scenario throws (node:assert) when the kit misbehaves.
const assert = require('node:assert/strict');
const { expectNoLeaks, JobServerLeakError, openSubscribedClients, runLeakChurn, startTestJobServer } = require('@org/ws-server/testing');

/** Clients subscribe, receive a finished job and close; every registry drains, and close() leaves no timer. */
async function releasesEveryClient() {
  const server = await startTestJobServer();
  try {
    const clients = await openSubscribedClients(server, { count: 10, jobId: ['export-1', 'export-2'] });
    await server.update('export-1', { status: 'completed' });
    await server.update('export-2', { status: 'failed', data: { error: 'disk full' } });
    await clients.waitForUpdates(1);
    assert.deepEqual(new Set(clients.clients.map((client) => client.updates[0].status)), new Set(['completed', 'failed']));
    clients.close();
    await expectNoLeaks(server);
  } finally {
    await server.close();
  }
  await expectNoLeaks(server, { timeoutMs: 0 });
  assert.equal(server.stats().timers, 0);
}

/** A subscribed client left connected is a leak, named registry by registry. */
async function namesALeftoverClient() {
  const server = await startTestJobServer();
  const clients = await openSubscribedClients(server, { count: 1, jobId: 'forgotten' });
  try {
    await assert.rejects(expectNoLeaks(server, { timeoutMs: 200 }), (error) => {
      assert.ok(error instanceof JobServerLeakError);
      // Not assert.match: Jest runs this file in its own realm, where a RegExp literal fails assert's RegExp check.
      // (Its rate-limit bucket may be named too, unless it refilled and the sweep dropped it already.)
      const named = ['connections 1', 'connectionsByIp 1', 'subscriptions 1', 'watchedJobs 1'];
      assert.ok(error.message.startsWith('the job server still holds, 200 ms after expectNoLeaks started: '), error.message);
      assert.ok(named.every((part) => error.message.includes(part)), error.message);
      return true;
    });
  } finally {
    clients.close();
    await server.close();
  }
}

/** Churn rounds drain to zero every time; the heap trend is measured with forced GC when it is exposed. */
async function churnsBackToZero() {
  const server = await startTestJobServer();
  try {
    const result = await runLeakChurn(server, { warmupRounds: 1, rounds: 3, clientsPerRound: 10, jobsPerRound: 2 });
    assert.equal(result.rounds.length, 4);
    for (const round of result.rounds) assert.equal(round.stats.connections + round.stats.subscriptions + round.stats.jobs, 0);
    assert.equal(result.gcForced, typeof globalThis.gc === 'function');
    assert.ok(Number.isFinite(result.heapSlopeBytesPerRound));
    return result;
  } finally {
    await server.close();
  }
}

module.exports = { releasesEveryClient, namesALeftoverClient, churnsBackToZero };
