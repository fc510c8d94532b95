import type { JobClientError, JobUpdate } from '@org/ws-client';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import { useJob, type UseJobResult } from './index';

/** What an export job carries; an interface (no index signature) on purpose. */
interface ExportResult {
  url: string;
}

const ExportResultSchema = z.object({ url: z.string(), bytes: z.number() });

describe('useJob types', () => {
  it('types data from a schema, without casts', () => {
    const job = useJob('export-42', { data: ExportResultSchema });
    expectTypeOf(job.data).toEqualTypeOf<{ url: string; bytes: number } | undefined>();
    if (job.data) expectTypeOf(job.data.url).toEqualTypeOf<string>();
    expectTypeOf(job.update?.data.url).toEqualTypeOf<string | undefined>();
    if (job.outcome?.kind === 'terminal') expectTypeOf(job.outcome.update.data.url).toEqualTypeOf<string>();
    expectTypeOf(job.error).toEqualTypeOf<JobClientError | undefined>();
  });

  it('types data from an explicit type argument', () => {
    const job = useJob<ExportResult>('export-42');
    expectTypeOf(job).toEqualTypeOf<UseJobResult<ExportResult>>();
    expectTypeOf(job.data?.url).toEqualTypeOf<string | undefined>();
    // @ts-expect-error: the data of an export job has no `rows`
    void job.data?.rows;
  });

  it('keeps JSON data and JobUpdate without either', () => {
    const job = useJob(null);
    expectTypeOf(job.data).toEqualTypeOf<JobUpdate['data']>();
    expectTypeOf(job.update).toEqualTypeOf<JobUpdate | undefined>();
  });
});
