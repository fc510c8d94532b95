import type { ConnectionState } from '@org/ws-client';
import { useMemo, useSyncExternalStore } from 'react';
import { useJobClient } from './job-client-context';
import { JobStore } from './job-store';
import { EMPTY_JOB_VIEW, type JobView } from './job-view';
import { useJobClientState } from './use-job-client-state';

/** What {@link useJob} returns: the job's {@link JobView} and the client's connection state. */
export interface UseJobResult extends JobView {
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
 * @example
 * const { status, progress, outcome } = useJob('export-42');
 */
export function useJob(jobId: string | null | undefined): UseJobResult {
  const client = useJobClient();
  const store = useMemo(() => (jobId == null ? undefined : new JobStore(client, jobId)), [client, jobId]);
  const view = useSyncExternalStore(store?.subscribe ?? subscribeToNothing, store?.getSnapshot ?? emptyView, emptyView);
  const connection = useJobClientState();
  return useMemo(() => ({ ...view, connection }), [view, connection]);
}
