import type { JobUpdate, JsonValue } from '@org/ws-protocol';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { createJobClient, type JobClient, type JobSubscription } from './index';

/** Data by job id pattern; an interface value (no index signature) on purpose. */
interface ExportResult {
  url: string;
}
type Jobs = {
  [jobId: `export-${string}`]: ExportResult;
  [jobId: `import-${string}`]: { rows: number } | undefined;
};

const client = createJobClient<Jobs>({ url: 'http://x' });

describe('typed job data on the client', () => {
  it('types data by job id from the client map, without casts', async () => {
    expectTypeOf(client).toEqualTypeOf<JobClient<Jobs>>();
    const done = await client.waitFor('export-42');
    expectTypeOf(done.data.url).toEqualTypeOf<string>();
    client.subscribe('import-7', (update) => {
      expectTypeOf(update.data).toEqualTypeOf<{ rows: number } | undefined>();
      // @ts-expect-error: import data may be absent
      void update.data.rows;
    });
    for await (const update of client.watch('export-1')) expectTypeOf(update.data).toEqualTypeOf<ExportResult>();
    const handle = client.subscribe('export-9');
    expectTypeOf(handle.snapshot?.data).toEqualTypeOf<ExportResult | undefined>();
    handle.on('end', (outcome) => {
      if (outcome.kind === 'terminal') expectTypeOf(outcome.update.data.url).toEqualTypeOf<string>();
    });
    // A job id typed as plain `string` may be any job of the map.
    const any = await client.waitFor('x' as string);
    expectTypeOf(any.data).toEqualTypeOf<ExportResult | { rows: number } | undefined>();
  });

  it('types data by a schema given to the call, which wins over the map', async () => {
    const Report = z.object({ url: z.string(), pages: z.number() });
    const done = await client.waitFor('export-42', { data: Report });
    expectTypeOf(done.data).toEqualTypeOf<{ url: string; pages: number }>();
    client.subscribe('report-1', (update) => expectTypeOf(update.data.pages).toEqualTypeOf<number>(), { data: Report });
    for await (const update of client.watch('report-2', { data: Report.optional() })) expectTypeOf(update.data?.url).toEqualTypeOf<string | undefined>();
    // @ts-expect-error: a schema is a Standard Schema, not a plain function
    void client.waitFor('export-42', { data: (value: unknown) => value });
  });

  it('keeps JobUpdate with JSON data without a map or schema', async () => {
    const plain = createJobClient({ url: 'http://x' });
    expectTypeOf(plain).toEqualTypeOf<JobClient>();
    expectTypeOf(await plain.waitFor('a')).toEqualTypeOf<JobUpdate>();
    expectTypeOf(plain.subscribe('a')).toEqualTypeOf<JobSubscription>();
    expectTypeOf((await plain.waitFor('a')).data).toEqualTypeOf<JsonValue | undefined>();
  });
});
