import type { ConnectionState, JobDataOptions, JobUpdate } from '@org/ws-client';
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { useJobClient } from './job-client-context';
import { JobStore } from './job-store';
import { EMPTY_JOB_VIEW, type JobView } from './job-view';
import { useJobClientState } from './use-job-client-state';

/** What {@link useJob} returns: the job's {@link JobView} (`Data` types `data`) and the client's connection state. */
export interface UseJobResult<Data = JobUpdate['data']> extends JobView<Data> {
  /** The client's connection state, for a "reconnecting…" hint next to the job. */
  readonly connection: ConnectionState;
}

const subscribeToNothing = (): (() => void) => () => undefined;
const emptyView = (): JobView => EMPTY_JOB_VIEW;

/**
 * Watches a job while the component is mounted: its latest status, progress and data, how it ended, and the
 * connection state. Components watching the same job share one server subscription; the last one to unmount (or
 * to switch to another `jobId`) releases it. With `jobId` `null` or `undefined` nothing is watched. Server
 * rendering returns the empty view and connects nothing.
 *
 * `data` is typed by `Data`: given explicitly (`useJob<ExportResult>(id)`, unchecked), or inferred from a `data`
 * schema (any Standard Schema, e.g. zod) that checks every update at runtime; an update that fails it is not shown and
 * is reported on the client's `error` as `INVALID_DATA`, a terminal one ends the job with that `error`. The schema in
 * use is the one given when the job id was set: define it once (module scope), not inline per render.
 *
 * @example
 * const { status, progress, data, outcome } = useJob('export-42', { data: ExportResult });
 */
export function useJob<Data = JobUpdate['data']>(jobId: string | null | undefined, options?: JobDataOptions<Data>): UseJobResult<Data> {
  const client = useJobClient();
  // The store last committed: when its provider replaced its client (an `<Activity>` around the provider shown again),
  // the new store starts from its view.
  const committed = useRef<JobStore | undefined>(undefined);
  // Only the job id (and client) pick the subscription: an inline schema must not resubscribe on every render.
  const store = useMemo(() => {
    if (jobId == null) return undefined;
    const previous = committed.current;
    return new JobStore(client, jobId, options, previous?.jobId === jobId ? previous.viewForSuccessor() : undefined);
  }, [client, jobId]);
  useEffect(() => {
    committed.current = store;
  }, [store]);
  const view = useSyncExternalStore(store?.subscribe ?? subscribeToNothing, store?.getSnapshot ?? emptyView, emptyView);
  const connection = useJobClientState();
  // The store's views hold the updates the schema (or nothing) let through: `Data` only names their type.
  return useMemo(() => ({ ...view, connection }) as UseJobResult<Data>, [view, connection]);
}
