import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient, record } from './support/job-client-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer, startRawServer } from './support/misbehaving-server';

installLeakCheck();

const update = (seq: number) => ({ jobId: 'job-1', epoch: 'e1', seq, status: 'running', at: 1_700_000_000_000 });

describe('inbound validation', () => {
  it('reports invalid messages on the error event, drops them, and keeps delivering valid ones', async () => {
    const unanswered: string[] = [];
    let subscribeRequests = 0;
    const url = await startMisbehavingServer((socket) => {
      socket.on('subscribe-job', (_request: unknown, ack: (reply: unknown) => void) => {
        subscribeRequests += 1;
        // First reply is malformed; the client must retry rather than trust it.
        if (subscribeRequests === 1) ack({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: { seq: 'one' } });
        else ack({ ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1), updates: [], resync: false });
        if (subscribeRequests !== 2) return;
        socket.emit('job-update', { jobId: 'job-1', epoch: 'e1', seq: -4, status: 'running', at: 0 });
        socket.emit('job-update', 'not an object');
        socket.emit('job-expired', { jobId: 'job-1' });
        socket.timeout(300).emit('heartbeat', { ts: 'now' }, (error: Error | null) => {
          if (error) unanswered.push('heartbeat');
        });
        socket.timeout(300).emit('server-timeout-notice', { reason: 'reboot', graceMs: 1 }, (error: Error | null) => {
          if (error) unanswered.push('server-timeout-notice');
        });
        socket.emit('job-update', update(2));
      });
    });
    const { client, errors, states } = openClient({ url, random: () => 0 });
    const watched = record(client, 'job-1');

    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2]));
    await vi.waitFor(() => expect(unanswered.sort()).toEqual(['heartbeat', 'server-timeout-notice']));
    expect(errors.every((e) => e.name === 'JobClientError' && e.code === 'INVALID_PAYLOAD')).toBe(true);
    expect(errors.map((e) => e.message.split(':')[0])).toEqual([
      'subscribe-job reply.snapshot.jobId',
      'job-update.seq',
      'job-update',
      'job-expired.lastSeq',
      'heartbeat.ts',
      'server-timeout-notice.reason',
    ]);
    expect(subscribeRequests).toBe(2);
    expect(watched.handle.outcome).toBeUndefined();
    expect(states.filter(isConnected)).toHaveLength(1);
  });

  it('refuses a subscribe-job reply whose snapshot or updates belong to another job, applies nothing of it, and subscribes again', async () => {
    const replies = [
      // Another job's terminal snapshot: applied, it would end this job.
      { ok: true, jobId: 'job-1', epoch: 'e1', snapshot: { ...update(7), jobId: 'other-job', status: 'failed' }, updates: [], resync: false },
      // This job's snapshot, but another job's update among the replayed ones: the reply as a whole is not trusted.
      { ok: true, jobId: 'job-1', epoch: 'e1', snapshot: update(1), updates: [{ ...update(1), jobId: 'other-job' }], resync: false },
      { ok: true, jobId: 'job-1', epoch: 'e1', snapshot: { ...update(2), status: 'completed' }, updates: [], resync: false },
    ];
    let subscribeRequests = 0;
    const url = await startMisbehavingServer((socket) => {
      socket.on('subscribe-job', (_request: unknown, ack: (reply: unknown) => void) => {
        subscribeRequests += 1;
        ack(replies[Math.min(subscribeRequests, replies.length) - 1]);
      });
    });
    const { client, errors } = openClient({ url, random: () => 0 });
    const watched = record(client, 'job-1');

    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.updates.map((u) => [u.jobId, u.seq])).toEqual([['job-1', 2]]);
    expect(watched.handle.outcome).toMatchObject({ kind: 'terminal', update: { jobId: 'job-1', seq: 2, status: 'completed' } });
    expect(errors.map((e) => [e.code, e.jobId, e.message])).toEqual([
      ['INVALID_PAYLOAD', 'job-1', 'subscribe-job reply for job-1 carries job other-job'],
      ['INVALID_PAYLOAD', 'job-1', 'subscribe-job reply for job-1 carries job other-job'],
    ]);
    expect(subscribeRequests).toBe(3);
  });

  it('treats a refusal with a malformed error as a server fault and backs off', async () => {
    const { io, url } = await startRawServer();
    let handshakes = 0;
    io.use((_socket, next) => {
      handshakes += 1;
      next(Object.assign(new Error('nope'), { data: handshakes === 1 ? { code: 'NOT_A_CODE' } : undefined }));
    });
    const { errors, until } = openClient({ url });
    await until((state) => state.status === 'reconnecting' && state.attempt === 2);
    expect(errors.map((e) => e.code)).toEqual(['INVALID_PAYLOAD', 'INVALID_PAYLOAD']);
  });
});
