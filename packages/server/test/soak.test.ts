import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

const CYCLES = 3000;
const CONCURRENCY = 25;
const JOB_SLOTS = 8;
// A fixed seed: the same plan on every run, so that a failure can be replayed.
const SEED = 20_261_124;

/** How one cycle ends: a clean disconnect, a dead TCP connection, or leaving with a request in flight. */
const ENDINGS = ['clean', 'abrupt', 'mid-request'] as const;

const cyclePlan = fc.record({
  slots: fc.uniqueArray(fc.nat(JOB_SLOTS - 1), { minLength: 1, maxLength: 3 }),
  unsubscribe: fc.boolean(),
  completes: fc.nat(9).map((roll) => roll === 0),
  ending: fc.constantFrom(...ENDINGS),
});

/** Kills the client's TCP connection without a close frame, as a network failure or a crashed tab would. */
function dropTransport(client: TestClient): void {
  (client.socket.io.engine.transport as unknown as { ws: { terminate(): void } }).ws.terminate();
}

describe('soak', () => {
  it(`returns every registry to zero after ${CYCLES} random connect / subscribe / unsubscribe / complete / disconnect cycles`, { timeout: 240_000 }, async () => {
    const { server, url } = await startJobServer({
      limits: { maxConnectionsPerIp: 1000 },
      sweep: { intervalMs: 50, finishedJobRetentionMs: 0 },
    });
    // Each slot runs one job at a time; completing it starts the slot's next job.
    const generation = Array.from({ length: JOB_SLOTS }, () => 0);
    const jobOf = (slot: number): string => `soak-${slot}-${generation[slot]}`;
    const plans = fc.sample(cyclePlan, { numRuns: CYCLES, seed: SEED });
    const ended = { connections: 0, disconnects: 0 };
    server.on('connection', () => (ended.connections += 1));
    server.on('disconnect', () => (ended.disconnects += 1));

    let next = 0;
    const worker = async (): Promise<void> => {
      for (let plan = plans[next++]; plan; plan = plans[next++]) {
        const client = await connectClient(url);
        const jobs = plan.slots.map(jobOf);
        if (plan.ending === 'mid-request') {
          client.socket.emit('subscribe-job', { jobId: jobs[0]! }, () => undefined);
          client.socket.disconnect();
          continue;
        }
        for (const jobId of jobs) expect(await subscribe(client, { jobId })).toMatchObject({ ok: true });
        if (plan.unsubscribe) expect(await client.socket.timeout(5000).emitWithAck('unsubscribe-job', { jobId: jobs[0]! })).toEqual({ ok: true });
        // Publish only to the slot's current job: a job that ended is purged, and a late update would start a new one.
        const [slot] = plan.slots as [number];
        const [jobId] = jobs as [string];
        if (jobOf(slot) === jobId) {
          if (plan.completes) generation[slot] = (generation[slot] ?? 0) + 1;
          await server.update(jobId, plan.completes ? { status: 'completed', progress: 100 } : { status: 'running', progress: next % 100 });
        }
        if (plan.ending === 'abrupt') dropTransport(client);
        else client.socket.disconnect();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Finish what is still running; finished jobs nobody watches go at the next sweep.
    for (let slot = 0; slot < JOB_SLOTS; slot += 1) {
      if (await server.getJob(jobOf(slot))) await server.update(jobOf(slot), { status: 'cancelled' });
    }
    await vi.waitFor(() => expect(server.stats()).toEqual({ ...ZERO_STATS, timers: 2 }), { timeout: 10_000, interval: 50 });
    expect(server.io.of('/').adapter.rooms.size).toBe(0);
    expect(server.io.engine.clientsCount).toBe(0);
    expect(ended).toEqual({ connections: CYCLES, disconnects: CYCLES });
    expect(new Set(plans.map((plan) => plan.ending))).toEqual(new Set(ENDINGS));
  });
});
