import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import type { JobClientError, JobOutcome, StandardSchemaV1 } from '../src/index';
import { openClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { rejection } from './support/rejection';

installLeakCheck();

const ExportResult = z.object({ url: z.string(), bytes: z.number().int().nonnegative() });

describe('a data schema per subscription (real server)', () => {
  it('subscribe: passes valid data (parsed), reports INVALID_DATA for the rest without delivering it, and keeps following the job', async () => {
    const resource = await startJobServer();
    const { client, errors } = openClient({ url: resource.url });
    const delivered: unknown[] = [];
    const subscriptionErrors: JobClientError[] = [];
    const ends: JobOutcome<unknown>[] = [];
    const handle = client.subscribe('export-1', (update) => delivered.push(update.data), { data: ExportResult.partial().optional() });
    handle.on('error', (error) => subscriptionErrors.push(error));
    handle.on('end', (outcome) => ends.push(outcome));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));

    await resource.server.update('export-1', { status: 'running', progress: 10 });
    await resource.server.update('export-1', { status: 'running', progress: 50, data: { url: 42 } });
    await resource.server.update('export-1', { status: 'completed', progress: 100, data: { url: '/files/1.csv', bytes: 10 } });
    await vi.waitFor(() => expect(ends).toHaveLength(1));

    expect(delivered).toEqual([undefined, { url: '/files/1.csv', bytes: 10 }]);
    expect(subscriptionErrors).toHaveLength(1);
    expect(subscriptionErrors[0]).toMatchObject({ code: 'INVALID_DATA', jobId: 'export-1', update: { seq: 2, data: { url: 42 } } });
    expect(subscriptionErrors[0]!.message).toContain('url: ');
    // Reported on the client too, once.
    expect(errors.filter((error) => error.code === 'INVALID_DATA')).toEqual(subscriptionErrors);
    expect(ends[0]).toMatchObject({ kind: 'terminal', update: { seq: 3, status: 'completed' } });
    expect(handle.snapshot?.seq).toBe(3);
  });

  it('subscribe: a terminal update with invalid data ends the subscription with INVALID_DATA carrying the update', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    const handle = client.subscribe('export-2', undefined, { data: ExportResult });
    const ended = new Promise<JobOutcome<unknown>>((resolve) => handle.on('end', resolve));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('export-2', { status: 'completed', data: { url: '/f' } });
    const outcome = await ended;
    expect(outcome.kind).toBe('error');
    expect(outcome.kind === 'error' && outcome.error).toMatchObject({ code: 'INVALID_DATA', update: { status: 'completed', data: { url: '/f' } } });
    // The ended subscription was released on the server.
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('waitFor: checks only the completed update; resolves with its parsed data, or rejects INVALID_DATA', async () => {
    const resource = await startJobServer();
    const { client, errors } = openClient({ url: resource.url });
    const good = client.waitFor('export-3', { data: ExportResult.transform((result) => ({ ...result, kib: result.bytes / 1024 })) });
    const bad = client.waitFor('export-4', { data: ExportResult });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    for (const jobId of ['export-3', 'export-4']) await resource.server.update(jobId, { status: 'running', progress: 5 });
    await resource.server.update('export-3', { status: 'completed', data: { url: '/3', bytes: 2048 } });
    await resource.server.update('export-4', { status: 'completed', data: { bytes: -1 } });

    expect((await good).data).toEqual({ url: '/3', bytes: 2048, kib: 2 });
    const error = await rejection(bad);
    expect(error).toMatchObject({ code: 'INVALID_DATA', jobId: 'export-4', update: { seq: 2 } });
    expect(error.message).toMatch(/url: .*; bytes: /);
    // The progress updates without data were not checked.
    expect(errors.filter((reported) => reported.code === 'INVALID_DATA')).toEqual([]);
  });

  it('watch: skips invalid updates and throws INVALID_DATA for an invalid terminal one', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    const seen: number[] = [];
    const watching = (async () => {
      for await (const update of client.watch('export-5', { data: z.object({ step: z.number() }) })) seen.push(update.data.step);
    })();
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('export-5', { status: 'running', data: { step: 1 } });
    await resource.server.update('export-5', { status: 'running', data: { step: 'two' } });
    await resource.server.update('export-5', { status: 'running', data: { step: 3 } });
    await resource.server.update('export-5', { status: 'failed', data: null });
    const error = await rejection(watching);
    expect(error).toMatchObject({ code: 'INVALID_DATA', update: { seq: 4, status: 'failed' } });
    expect(seen).toEqual([1, 3]);
  });

  it('never throws from a schema: a throwing or asynchronous one gives INVALID_DATA', async () => {
    const resource = await startJobServer();
    const { client } = openClient({ url: resource.url });
    const throwing: StandardSchemaV1<unknown, string> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('boom');
        },
      },
    };
    const asynchronous: StandardSchemaV1<unknown, string> = { '~standard': { version: 1, vendor: 'test', validate: async () => ({ value: 'x' }) } };
    const first = client.waitFor('export-6', { data: throwing });
    const second = client.waitFor('export-6', { data: asynchronous });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('export-6', { status: 'completed', data: 'done' });
    expect(await rejection(first)).toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('the schema threw') });
    expect(await rejection(second)).toMatchObject({ code: 'INVALID_DATA', message: expect.stringContaining('asynchronous') });
  });
});
