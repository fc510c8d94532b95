import { describe, expect, it, vi } from 'vitest';
import { JobClientError, type JobUpdate } from '../src/index';
import { isConnected, openClient, record, registeredJobs } from './support/job-client-resource';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer } from './support/misbehaving-server';
import { rejection } from './support/rejection';

installLeakCheck();

/** Records every request the server receives, as `<event> <jobId>`, before its rate limit or handlers see it. */
function inboundRequests(resource: JobServerResource): string[] {
  const requests: string[] = [];
  resource.server.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: unknown) => requests.push(`${event} ${(payload as { jobId?: unknown } | undefined)?.jobId}`));
  });
  return requests;
}

/** An `authorizeSubscribe` that holds every `held-*` job until `open()`; `asked` counts the held ones. */
function gate(): { authorize: (request: { jobId: string }) => Promise<boolean>; open: () => void; readonly asked: number } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let asked = 0;
  return {
    authorize: async ({ jobId }) => {
      if (!jobId.startsWith('held-')) return true;
      asked += 1;
      await opened;
      return true;
    },
    open,
    get asked() {
      return asked;
    },
  };
}

describe('subscriptions', () => {
  it('shares one server subscription between handles and unsubscribes with the last one', async () => {
    const resource = await startJobServer();
    const requests: string[] = [];
    resource.server.on('subscribe', () => requests.push('subscribe'));
    resource.server.on('unsubscribe', () => requests.push('unsubscribe'));
    const { client } = openClient({ url: resource.url });
    const first = record(client, 'shared-job');
    const second = record(client, 'shared-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('shared-job', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect([first.seqs, second.seqs]).toEqual([[1], [1]]));

    // A late third handle gets the current snapshot without a second server subscription.
    const third = record(client, 'shared-job');
    await vi.waitFor(() => expect(third.seqs).toEqual([1]));
    first.handle.unsubscribe();
    third.handle.unsubscribe();
    await resource.server.update('shared-job', { status: 'running', progress: 20 });
    await vi.waitFor(() => expect(second.seqs).toEqual([1, 2]));
    expect(first.seqs).toEqual([1]);
    expect(resource.server.stats().subscriptions).toBe(1);

    second.handle.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
    expect(requests).toEqual(['subscribe', 'unsubscribe']);
  });

  it('releases a subscription dropped while its subscribe-job was still being authorized', async () => {
    let release!: () => void;
    const authorized = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowAnswered = false;
    const resource = await startJobServer({
      authorizeSubscribe: async ({ jobId }) => {
        if (jobId !== 'slow-job') return true;
        await authorized;
        slowAnswered = true;
        return true;
      },
    });
    const requests: string[] = [];
    resource.server.on('subscribe', ({ jobId }) => requests.push(`subscribe ${jobId}`));
    resource.server.on('unsubscribe', ({ jobId }) => requests.push(`unsubscribe ${jobId}`));
    const { client, errors, until } = openClient({ url: resource.url });
    await until(isConnected);
    // The unsubscribe goes out at once, overtaking the pending subscribe on the server.
    const slow = client.subscribe('slow-job');
    slow.unsubscribe();
    // The server handles a socket's events in order: once this later subscribe is registered, the unsubscribe was handled.
    const fence = client.subscribe('fence-job');
    await vi.waitFor(() => expect(requests).toEqual(['subscribe fence-job']));
    release();
    await vi.waitFor(() => expect(slowAnswered).toBe(true));
    // A round trip later the slow subscribe has been answered (UNSUBSCRIBED): it registered nothing and left nothing to release.
    const second = client.subscribe('second-fence-job');
    await vi.waitFor(() => expect(requests).toEqual(['subscribe fence-job', 'subscribe second-fence-job']));
    expect(resource.server.stats().subscriptions).toBe(2);
    await resource.server.update('slow-job', { status: 'running' });
    expect(errors).toEqual([]);
    fence.unsubscribe();
    second.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('keeps delivering to a job subscribed to again right after its last handle left, whether its release went out or was still queued', async () => {
    const held = gate();
    const resource = await startJobServer({ authorizeSubscribe: held.authorize });
    const requests = inboundRequests(resource);
    const { client, errors } = openClient({ url: resource.url });
    const first = record(client, 'again-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('again-job', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(first.seqs).toEqual([1]));

    // The release goes out at once and the new subscribe after it: the server applies them in that order.
    first.handle.unsubscribe();
    const second = record(client, 'again-job');
    await vi.waitFor(() => expect(second.seqs).toEqual([1]));
    await resource.server.update('again-job', { status: 'running', progress: 20 });
    await vi.waitFor(() => expect(second.seqs).toEqual([1, 2]));

    // Four held subscribes fill the window: the release waits in the queue, and the new subscribe calls it off.
    const others = ['held-1', 'held-2', 'held-3', 'held-4'].map((jobId) => record(client, jobId));
    await vi.waitFor(() => expect(held.asked).toBe(4));
    second.handle.unsubscribe();
    const third = record(client, 'again-job');
    held.open();
    await vi.waitFor(() => expect(third.seqs).toEqual([2]));
    await resource.server.update('again-job', { status: 'completed' });
    await vi.waitFor(() => expect(third.ends).toBe(1));
    expect(third.seqs).toEqual([2, 3]);
    expect(third.handle.outcome).toMatchObject({ kind: 'terminal', update: { seq: 3, status: 'completed' } });
    await vi.waitFor(() =>
      expect(requests.filter((request) => request.endsWith(' again-job'))).toEqual([
        'subscribe-job again-job',
        'unsubscribe-job again-job',
        'subscribe-job again-job',
        'subscribe-job again-job',
        'unsubscribe-job again-job',
      ]),
    );
    expect(errors).toEqual([]);
    for (const other of others) other.handle.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('never retries a release refused RATE_LIMITED over a newer subscribe of the same job', async () => {
    // The rate limit's clock stands still until the test moves it: the bucket refills only when told to.
    let time = Date.now();
    const held = gate();
    const resource = await startJobServer({
      now: () => time,
      authorizeSubscribe: held.authorize,
      limits: { rateLimit: { events: 4, windowMs: 400, abuseStrikes: 100 } },
    });
    const requests = inboundRequests(resource);
    const { client } = openClient({ url: resource.url });
    const first = record(client, 'again-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('again-job', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(first.seqs).toEqual([1]));
    // Three held subscribes spend the rest of the bucket and stay in flight.
    const others = ['held-1', 'held-2', 'held-3'].map((jobId) => record(client, jobId));
    await vi.waitFor(() => expect(held.asked).toBe(3));

    // The release goes out as the fourth request in flight; the new subscribe has to wait behind it.
    first.handle.unsubscribe();
    const second = record(client, 'again-job');
    await vi.waitFor(() => expect(resource.server.counters().rateLimited).toBe(1));
    expect(requests.at(-1)).toBe('unsubscribe-job again-job');
    time += 400;
    held.open();
    await vi.waitFor(() => expect(second.seqs).toEqual([1]));
    // Requests of one connection are handled in order: once this later one is subscribed, nothing sent before it is pending.
    const fence = record(client, 'fence-job');
    await vi.waitFor(() => expect(requests).toContain('subscribe-job fence-job'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(5));
    expect(requests.filter((request) => request === 'unsubscribe-job again-job')).toHaveLength(1);

    await resource.server.update('again-job', { status: 'running', progress: 50 });
    await resource.server.update('again-job', { status: 'completed' });
    await vi.waitFor(() => expect(second.ends).toBe(1));
    expect(second.seqs).toEqual([1, 2, 3]);
    time += 400;
    for (const other of [...others, fence]) other.handle.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('sends no unsubscribe-job for jobs the server expired or refused, which it holds nothing for', async () => {
    let time = Date.now();
    const resource = await startJobServer({
      now: () => time,
      sweep: { staleJobMs: 1000 },
      authorizeSubscribe: ({ jobId }) => jobId !== 'secret-job',
    });
    const requests = inboundRequests(resource);
    const jobs = ['stale-1', 'stale-2', 'stale-3'];
    for (const jobId of jobs) await resource.server.update(jobId, { status: 'running' });
    const { client } = openClient({ url: resource.url });
    const watched = jobs.map((jobId) => record(client, jobId));
    const forbidden = rejection(client.waitFor('secret-job'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(3));
    expect((await forbidden).code).toBe('FORBIDDEN');
    time += 5000;
    await expect(resource.server.maintenance.purgeStaleJobs()).resolves.toBe(3);
    await vi.waitFor(() => expect(watched.map((w) => w.handle.outcome?.kind)).toEqual(['expired', 'expired', 'expired']));
    // Requests of one connection are handled in order: any release sent above would be in before this subscribe.
    const fence = record(client, 'fence-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    expect(requests.filter((request) => request.startsWith('unsubscribe-job'))).toEqual([]);
    fence.handle.unsubscribe();
    await vi.waitFor(() => expect(requests).toContain('unsubscribe-job fence-job'));
  });

  it('releases what a timed-out subscribe registered late when the retry is refused FORBIDDEN', async () => {
    let answerFirst!: () => void;
    const firstMayAnswer = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    let confirmFirst!: () => void;
    const firstConfirmed = new Promise<void>((resolve) => {
      confirmFirst = resolve;
    });
    let asked = 0;
    const resource = await startJobServer({
      authorizeSubscribe: async () => {
        asked += 1;
        if (asked === 1) {
          await firstMayAnswer;
          return true;
        }
        await firstConfirmed;
        return false;
      },
    });
    resource.server.on('subscribe', () => confirmFirst());
    const { client, errors } = openClient({ url: resource.url, ackTimeoutMs: 100 });
    const late = record(client, 'late-job');
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['TIMEOUT']));
    answerFirst();
    await vi.waitFor(() => expect(late.handle.outcome).toMatchObject({ kind: 'error', error: { code: 'FORBIDDEN' } }));
    expect(asked).toBe(2);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('releases what a resubscribe registered after the job expired, but not once the job is wanted again', async () => {
    // A server that lets a resubscribe pending across a job's expiry register (this release's answers it FORBIDDEN).
    const requests: string[] = [];
    const snapshot = (jobId: string): JobUpdate => ({ jobId, epoch: 'e1', seq: 1, status: 'running', at: 1_700_000_000_000 });
    const subscribes = new Map<string, number>();
    let heldReply: (() => void) | undefined;
    const url = await startMisbehavingServer((socket) => {
      socket.onAny((event: string, payload: { jobId: string }) => requests.push(`${event} ${payload.jobId}`));
      socket.on('unsubscribe-job', (_request: unknown, ack: (reply: unknown) => void) => ack({ ok: true }));
      socket.on('subscribe-job', ({ jobId }: { jobId: string }, ack: (reply: unknown) => void) => {
        if (jobId === 'fence-job') return ack({ ok: true, jobId, epoch: null, snapshot: null, updates: [], resync: false });
        const count = (subscribes.get(jobId) ?? 0) + 1;
        subscribes.set(jobId, count);
        const reply = (): void => ack({ ok: true, jobId, epoch: count === 2 ? null : 'e1', snapshot: count === 2 ? null : snapshot(jobId), updates: [], resync: false });
        if (count === 1) {
          reply();
          socket.emit('job-update', { ...snapshot(jobId), seq: 3 });
        } else if (count === 2) {
          // The resubscribe filling the gap: the job expires first, the subscribe registers after.
          socket.emit('job-expired', { jobId, reason: 'stale', lastSeq: 1 });
          if (jobId === 'dropped-job') reply();
          else heldReply = reply;
        } else {
          // The job wanted again: the held reply of the earlier resubscribe arrives first.
          heldReply?.();
          reply();
        }
      });
    });
    const { client, errors } = openClient({ url });
    const dropped = record(client, 'dropped-job');
    await vi.waitFor(() => expect(dropped.handle.outcome?.kind).toBe('expired'));
    await vi.waitFor(() => expect(requests).toContain('unsubscribe-job dropped-job'));

    const again = record(client, 'again-job');
    await vi.waitFor(() => expect(again.handle.outcome?.kind).toBe('expired'));
    again.handle.unsubscribe();
    const renewed = record(client, 'again-job');
    await vi.waitFor(() => expect(renewed.seqs).toEqual([1]));
    // Requests of one connection arrive in order: had the held reply released the renewed subscription, it would be in before this one.
    record(client, 'fence-job');
    await vi.waitFor(() => expect(requests).toContain('subscribe-job fence-job'));
    expect(requests.filter((request) => request.endsWith(' again-job'))).toEqual(['subscribe-job again-job', 'subscribe-job again-job', 'subscribe-job again-job']);
    renewed.handle.unsubscribe();
    await vi.waitFor(() => expect(requests).toContain('unsubscribe-job again-job'));
    expect(errors).toEqual([]);
  });

  it('ends a subscription the server forbids with FORBIDDEN, without retrying', async () => {
    let asked = 0;
    const resource = await startJobServer({
      authorizeSubscribe: () => {
        asked += 1;
        return false;
      },
    });
    const { client } = openClient({ url: resource.url });
    const error = await rejection(client.waitFor('secret-job'));
    expect(error).toMatchObject({ code: 'FORBIDDEN', jobId: 'secret-job' });
    expect(asked).toBe(1);
  });

  it('ends the subscription of one job more than the server lets a connection watch with TOO_MANY_SUBSCRIPTIONS, without retrying, and keeps the others', async () => {
    const resource = await startJobServer({ limits: { maxSubscriptionsPerConnection: 2 } });
    const requests = inboundRequests(resource);
    const { client } = openClient({ url: resource.url });
    const kept = [record(client, 'kept-1'), record(client, 'kept-2')];
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));

    const error = await rejection(client.waitFor('one-too-many'));
    expect(error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', jobId: 'one-too-many' });
    expect(requests.filter((request) => request.endsWith(' one-too-many'))).toEqual(['subscribe-job one-too-many']);
    await resource.server.update('kept-2', { status: 'running', progress: 5 });
    await vi.waitFor(() => expect(kept[1]!.updates.map((update) => update.progress)).toEqual([5]));
    // Once the application lets a job go, the same job can be watched.
    kept[0]!.handle.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    const late = record(client, 'one-too-many');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    await resource.server.update('one-too-many', { status: 'completed' });
    await vi.waitFor(() => expect(late.updates.map((update) => update.status)).toEqual(['completed']));
  });

  it('waitFor resolves with the completed update and rejects a failed job with JOB_FAILED', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    const done = client.waitFor('good-job', { timeoutMs: 5000 });
    const failed = rejection(client.waitFor('bad-job'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    await resource.server.update('good-job', { status: 'running', progress: 50 });
    const completed = await resource.server.update('good-job', { status: 'completed', data: { file: 'export.csv' } });
    await resource.server.update('bad-job', { status: 'failed', data: { reason: 'disk full' } });
    await expect(done).resolves.toEqual(completed);
    expect(await failed).toMatchObject({ code: 'JOB_FAILED', update: { status: 'failed', data: { reason: 'disk full' } } });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('waitFor and watch reject ABORTED when a listener the subscribe ran (connecting) aborts their signal', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url, autoConnect: false });
    const controllers = [new AbortController(), new AbortController()] as const;
    client.on('connecting', () => {
      for (const controller of controllers) controller.abort('page left');
    });
    const waited = rejection(client.waitFor('job-1', { signal: controllers[0].signal }));
    const watched = rejection(client.watch('job-2', { signal: controllers[1].signal }).next());
    expect(await waited).toMatchObject({ code: 'ABORTED', jobId: 'job-1', cause: 'page left' });
    expect(await watched).toMatchObject({ code: 'ABORTED', jobId: 'job-2' });
    expect(registeredJobs(client)).toBe(0);
  });

  it('watch yields the snapshot and each update in order and ends after the terminal one', async () => {
    const resource = await startJobServer();
    await resource.server.update('watched-job', { status: 'queued' });
    const { client } = openClient({ url: resource.url });
    const seen: JobUpdate[] = [];
    const consumed = (async () => {
      for await (const update of client.watch('watched-job')) {
        seen.push(update);
        if (update.seq < 4) await resource.server.update('watched-job', update.seq < 3 ? { status: 'running', progress: update.seq * 40 } : { status: 'cancelled' });
      }
    })();
    await consumed;
    expect(seen.map((u) => [u.seq, u.status])).toEqual([
      [1, 'queued'],
      [2, 'running'],
      [3, 'running'],
      [4, 'cancelled'],
    ]);
  });

  it('ends a stale job the server drops as expired (reason stale), and waitFor rejects with JOB_EXPIRED', async () => {
    let time = Date.now();
    const resource = await startJobServer({ now: () => time, sweep: { staleJobMs: 1000 } });
    await resource.server.update('stale-job', { status: 'running' });
    const { client, errors } = openClient({ url: resource.url });
    const expired = rejection(client.waitFor('stale-job'));
    const handle = client.subscribe('stale-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    time += 5000;
    await expect(resource.server.maintenance.purgeStaleJobs()).resolves.toBe(1);
    expect(await expired).toMatchObject({ code: 'JOB_EXPIRED', jobId: 'stale-job', expired: { kind: 'expired', reason: 'stale', lastSeq: 1 } });
    expect(handle.outcome).toEqual({ kind: 'expired', reason: 'stale', lastSeq: 1 });
    expect(errors).toEqual([]);
  });

  it('asks the server again for a job that expired while a handle on it stays open, and the old handle keeps its outcome', async () => {
    let time = Date.now();
    const resource = await startJobServer({ now: () => time, sweep: { staleJobMs: 1000 } });
    const { client } = openClient({ url: resource.url });
    await resource.server.update('nightly', { status: 'running' });
    // A panel that keeps its handle to show how the job ended.
    const panel = client.subscribe('nightly');
    await vi.waitFor(() => expect(panel.snapshot?.seq).toBe(1));
    time += 10_000;
    await resource.server.maintenance.purgeStaleJobs();
    await vi.waitFor(() => expect(panel.outcome?.kind).toBe('expired'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));

    const done = client.waitFor('nightly', { timeoutMs: 5000 });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    // The old handle going leaves the new subscription alone.
    panel.unsubscribe();
    expect(registeredJobs(client)).toBe(1);
    // The job id runs again and completes.
    await resource.server.update('nightly', { status: 'running' });
    const completed = await resource.server.update('nightly', { status: 'completed' });
    await expect(done).resolves.toEqual(completed);
    expect(panel.outcome).toEqual({ kind: 'expired', reason: 'stale', lastSeq: 1 });
    expect(registeredJobs(client)).toBe(0);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('asks the server again for a job refused FORBIDDEN while a handle on it stays open, so access granted since is seen', async () => {
    const granted = new Set<string>();
    const asked: string[] = [];
    const authorizeSubscribe = ({ jobId }: { jobId: string }): boolean => {
      asked.push(jobId);
      return granted.has(jobId);
    };
    const resource = await startJobServer({ authorizeSubscribe });
    const { client } = openClient({ url: resource.url });
    const panel = client.subscribe('report');
    await vi.waitFor(() => expect(panel.outcome).toMatchObject({ kind: 'error', error: { code: 'FORBIDDEN' } }));

    granted.add('report');
    const done = client.waitFor('report', { timeoutMs: 5000 });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    const completed = await resource.server.update('report', { status: 'completed' });
    await expect(done).resolves.toEqual(completed);
    expect(asked).toEqual(['report', 'report']);
    expect(panel.outcome).toMatchObject({ kind: 'error', error: { code: 'FORBIDDEN' } });
    // The refused state left the registry when the new call replaced it; the panel's handle holds it alone.
    expect(registeredJobs(client)).toBe(0);
    panel.unsubscribe();
    expect(registeredJobs(client)).toBe(0);
  });

  it('asks the server again for a job that completed while a handle on it stays open, so a new run of the id is followed', async () => {
    let time = Date.now();
    const resource = await startJobServer({ now: () => time, sweep: { finishedJobRetentionMs: 1000 } });
    const { client } = openClient({ url: resource.url });
    await resource.server.update('nightly', { status: 'running' });
    const firstRun = await resource.server.update('nightly', { status: 'completed' });
    const panel = client.subscribe('nightly');
    await vi.waitFor(() => expect(panel.outcome).toEqual({ kind: 'terminal', update: firstRun }));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
    time += 10_000;
    await expect(resource.server.maintenance.purgeStaleJobs()).resolves.toBe(1);

    // The job id runs again; a new watch follows this run, not the one the open panel shows.
    await resource.server.update('nightly', { status: 'running' });
    const seen: JobUpdate[] = [];
    const consumed = (async () => {
      for await (const update of client.watch('nightly')) {
        seen.push(update);
        if (update.status === 'running') await resource.server.update('nightly', { status: 'failed' });
      }
    })();
    await consumed;
    expect(seen.map((u) => [u.epoch === firstRun.epoch ? 'first run' : 'second run', u.seq, u.status])).toEqual([
      ['second run', 1, 'running'],
      ['second run', 2, 'failed'],
    ]);
    expect(panel.outcome).toEqual({ kind: 'terminal', update: firstRun });
    panel.unsubscribe();
    expect(registeredJobs(client)).toBe(0);
  });

  it('sends no release for an ended job an end listener asked for again: the server subscription serves the new call', async () => {
    const resource = await startJobServer();
    const requests = inboundRequests(resource);
    const { client } = openClient({ url: resource.url });
    const first = client.subscribe('report');
    let again: Promise<JobUpdate> | undefined;
    first.on('end', () => {
      again = client.waitFor('report', { timeoutMs: 5000 });
    });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    const completed = await resource.server.update('report', { status: 'completed' });
    await vi.waitFor(() => expect(again).toBeDefined());
    await expect(again).resolves.toEqual(completed);
    first.unsubscribe();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
    expect(requests).toEqual(['subscribe-job report', 'subscribe-job report', 'unsubscribe-job report']);
  });

  it('close() ends every subscription with CLOSED and refuses new ones', async () => {
    const resource = await startJobServer();
    const { client, until } = openClient({ url: resource.url });
    const pending = rejection(client.waitFor('long-job', { timeoutMs: 60_000 }));
    const iterator = client.watch('long-job');
    const next = iterator.next();
    await until(isConnected);
    await client.close();
    expect(await pending).toMatchObject({ code: 'CLOSED' });
    await expect(next).rejects.toMatchObject({ code: 'CLOSED' });
    expect(client.state).toEqual({ status: 'disconnected', reason: 'closed' });
    expect(() => client.subscribe('long-job')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
  });

  it('paces resubscribing many jobs so the rate limit never turns into an abuse disconnect', async () => {
    const resource = await startJobServer({ limits: { rateLimit: { events: 5, windowMs: 500, abuseStrikes: 5 } } });
    const { client, states } = openClient({ url: resource.url });
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.reason));
    const jobs = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
    const watched = jobs.map((jobId) => record(client, jobId));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(12), { timeout: 4000 });

    for (const socket of resource.server.io.sockets.sockets.values()) socket.conn.close();
    await vi.waitFor(() => expect(states.filter((s) => s.status === 'connected')).toHaveLength(2));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(12), { timeout: 4000 });
    await Promise.all(jobs.map((jobId) => resource.server.update(jobId, { status: 'completed' })));
    await vi.waitFor(() => expect(watched.map((w) => w.ends)).toEqual(jobs.map(() => 1)));
    expect(notices).toEqual([]);
    expect(resource.server.counters().rateLimited).toBeGreaterThan(0);
  }, 15_000);

  it('gives a watch() or subscribe() started by a listener of the terminal update that update, then the end', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    await resource.server.update('job-1', { status: 'running', progress: 10 });
    let watched: Promise<string[]> | undefined;
    const late: string[] = [];
    const lateEnd = new Promise<string>((resolve) => {
      client.subscribe('job-1', (update) => {
        if (update.status !== 'completed') return;
        watched = (async () => {
          const statuses: string[] = [];
          for await (const seen of client.watch('job-1')) statuses.push(seen.status);
          return statuses;
        })();
        client.subscribe('job-1', (seen) => late.push(seen.status)).on('end', (outcome) => resolve(outcome.kind));
      });
    });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('job-1', { status: 'completed', progress: 100 });
    await expect(lateEnd).resolves.toBe('terminal');
    expect(late).toEqual(['completed']);
    await expect(watched).resolves.toEqual(['completed']);
  });

  it('refuses a listener that is not a function with INVALID_OPTIONS, subscribing to nothing', async () => {
    const resource = await startJobServer();
    const { client, until } = openClient({ url: resource.url });
    await until(isConnected);
    expect(() => client.subscribe('job-1', 'not a function' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => client.on('state', 42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(registeredJobs(client)).toBe(0);
    expect(resource.server.stats().subscriptions).toBe(0);
  });

  it('subscribes again at once after an UNSUBSCRIBED reply, then backs off when the server keeps answering so', async () => {
    const sentAt: number[] = [];
    const url = await startMisbehavingServer((socket) => {
      socket.on('subscribe-job', (request: { jobId: string }, ack: (reply: unknown) => void) => {
        sentAt.push(Date.now());
        ack({ ok: false, error: { code: 'UNSUBSCRIBED', message: `${request.jobId} was unsubscribed` } });
      });
    });
    const { client } = openClient({ url, reconnect: { initialDelayMs: 100, maxDelayMs: 400, minDelayMs: 50 } });
    client.subscribe('job-1');
    await vi.waitFor(() => expect(sentAt.length).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    // The first retry at once; from the second on, at least minDelayMs apart (a hot loop sends hundreds meanwhile).
    expect(sentAt[1]! - sentAt[0]!).toBeLessThan(50);
    for (let i = 2; i < sentAt.length; i += 1) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(45);
  });

  it('goes on from resumeFrom: replays only what came after it, and ends expired (gone) for a job the server forgot', async () => {
    const resource = await startJobServer({ sweep: { intervalMs: 50, finishedJobRetentionMs: 0 } });
    const { client } = openClient({ url: resource.url });
    const seen = await resource.server.update('moved-on', { status: 'running', progress: 10 });
    await resource.server.update('moved-on', { status: 'running', progress: 20 });
    const moved = record(client, 'moved-on');
    moved.handle.unsubscribe();
    const resumed = client.subscribe('moved-on', undefined, { resumeFrom: seen });
    const progress: number[] = [];
    resumed.on('update', (update) => progress.push(update.progress ?? -1));
    await vi.waitFor(() => expect(progress).toEqual([20]));

    const last = await resource.server.update('forgotten', { status: 'running', progress: 50 });
    await resource.server.update('forgotten', { status: 'completed', progress: 100 });
    await vi.waitFor(async () => expect(await resource.server.getJob('forgotten')).toBeNull());
    const forgotten = client.subscribe('forgotten', undefined, { resumeFrom: last });
    const outcome = await new Promise((resolve) => forgotten.on('end', resolve));
    expect(outcome).toEqual({ kind: 'expired', reason: 'gone', lastSeq: last.seq });
  });

  it.each([{ epoch: '', seq: 1 }, { epoch: 'e1', seq: 0 }, { epoch: 'e1', seq: 1.5 }, { seq: 3 }, 'e1:3'])('refuses resumeFrom %j with INVALID_OPTIONS, subscribing to nothing', async (resumeFrom) => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    expect(() => client.subscribe('job-1', undefined, { resumeFrom: resumeFrom as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('resumeFrom') }));
    expect(registeredJobs(client)).toBe(0);
  });

  it('refuses a malformed job id with a typed error', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    expect(() => client.subscribe('no spaces allowed')).toThrow(expect.objectContaining({ name: 'JobClientError', code: 'INVALID_PAYLOAD' }));
    expect((await rejection(client.waitFor(''))).code).toBe('INVALID_PAYLOAD');
  });
});
