// Server rendering of the canonical component, bundled once per React version for Node (test/support/test-page-bundle.ts).
import type { JobClient } from '@org/ws-client';
import { version } from 'react';
import { renderToString } from 'react-dom/server';
import { JobClientProvider, useJob, useJobClient, useJobClientState } from '../../src/index';

/** The React version bundled in. */
export const reactVersion = version;

function JobProgress({ jobId, onClient }: { jobId: string; onClient: (client: JobClient) => void }) {
  onClient(useJobClient());
  const { status, progress, connection } = useJob(jobId);
  const badge = useJobClientState();
  return (
    <p data-status={status ?? 'none'} data-progress={progress ?? ''} data-connection={connection.status} data-badge={badge.status}>
      {status ?? 'waiting'}
    </p>
  );
}

/** Renders a provider made from options around one job to a string; returns the markup and the client the provider made. */
export function renderJob(url: string, jobId: string): { html: string; client: JobClient | undefined } {
  let client: JobClient | undefined;
  const html = renderToString(
    <JobClientProvider options={{ url }}>
      <JobProgress jobId={jobId} onClient={(made) => (client = made)} />
    </JobClientProvider>,
  );
  return { html, client };
}
