import type { JsonValue } from '@org/ws-protocol';
import { describe, expectTypeOf, it } from 'vitest';
import { createJobPublisher, createJobServer, createMemoryMonitor, type JobPublisher, type JobServer } from './index';

/** Data by job id pattern; an interface value (no index signature) on purpose. */
interface ExportResult {
  url: string;
}
type Jobs = {
  [jobId: `export-${string}`]: ExportResult;
  [jobId: `import-${string}`]: { rows: number } | undefined;
};

describe('typed job data on the server side', () => {
  it('createJobServer<Jobs>() types update and getJob by job id', async () => {
    const server = createJobServer<Jobs>();
    expectTypeOf(server).toEqualTypeOf<JobServer<Jobs>>();
    const done = await server.update('export-42', { status: 'completed', data: { url: '/files/42.csv' } });
    expectTypeOf(done.data.url).toEqualTypeOf<string>();
    // @ts-expect-error: an export job always carries its data
    void server.update('export-42', { status: 'running', progress: 10 });
    // @ts-expect-error: wrong data for an export job
    void server.update('export-42', { status: 'completed', data: { rows: 3 } });
    void server.update('import-7', { status: 'running' });
    const imported = await server.getJob('import-7');
    expectTypeOf(imported?.data).toEqualTypeOf<{ rows: number } | undefined>();
    // A job id typed as plain `string` may be any job of the map.
    const any = await server.getJob('x' as string);
    expectTypeOf(any?.data).toEqualTypeOf<ExportResult | { rows: number } | undefined>();
    // A typed server is still a server for the tools that take one.
    createMemoryMonitor({ server });
  });

  it('keeps any JSON on any job without a map', async () => {
    const server = createJobServer();
    const update = await server.update('whatever', { status: 'running', data: { a: [1, 'b'] } });
    expectTypeOf(update.data).toEqualTypeOf<JsonValue | undefined>();
  });

  it('createJobPublisher<Jobs>() types update and getJob like the server', async () => {
    const publisher = createJobPublisher<Jobs>({ redis: { url: 'redis://127.0.0.1:6379' } });
    expectTypeOf(publisher).toEqualTypeOf<JobPublisher<Jobs>>();
    const done = await publisher.update('export-1', { status: 'completed', data: { url: '/f' } });
    expectTypeOf(done.data.url).toEqualTypeOf<string>();
    // @ts-expect-error: wrong data type
    void publisher.update('export-1', { status: 'completed', data: { url: 1 } });
  });
});
