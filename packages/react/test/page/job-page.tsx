// The page the browser tests drive: a JobClientProvider around job rows and a connection badge, re-rendered from
// the test through `window.jobPage`. Bundled once per React version (test/support/test-page-bundle.ts).
import { createJobClient, type JobClient } from '@org/ws-client';
import { StrictMode, useEffect, version } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import * as z from 'zod';
import { JobClientProvider, useJob, useJobClientState } from '../../src/index';

/** What the test asks the page to show. */
export interface Scene {
  /** Server URL. */
  readonly url: string;
  /** One row per entry; the same id twice is two components watching one job. */
  readonly jobs: readonly string[];
  /** Wrap the tree in `<StrictMode>`. */
  readonly strict: boolean;
  /** Give the provider the page's long-lived client instead of options (the provider then does not own it). */
  readonly sharedClient: boolean;
  /** The provider's `autoConnect` option: `true` connects right after mount, before any job is watched. */
  readonly autoConnect?: boolean;
}

/** What the page exposes on `window.jobPage`. */
export interface JobPage {
  /** The React version bundled in. */
  readonly reactVersion: string;
  /** Renders the scene (the same root every time, so a changed job id re-renders the same components). */
  show(scene: Scene): void;
  /** Renders nothing: every component unmounts. */
  clear(): void;
  /** Closes the shared client, if one was made. */
  closeSharedClient(): Promise<void>;
  /** Every connection status the badge rendered, in order. */
  readonly badgeHistory: string[];
}

const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 500, minDelayMs: 20 };
const badgeHistory: string[] = [];
let root: Root | undefined;
let sharedClient: JobClient | undefined;

/** The data of `checked-*` jobs, checked at runtime by their rows. */
const CheckedData = z.object({ url: z.string() });

function JobRow({ jobId }: { jobId: string }) {
  const job = useJob(jobId, jobId.startsWith('checked-') ? { data: CheckedData } : {});
  return (
    <li
      data-job={jobId}
      data-url={jobId.startsWith('checked-') ? (job.data?.url ?? '') : ''}
      data-status={job.status ?? 'none'}
      data-progress={job.progress ?? ''}
      data-outcome={job.outcome?.kind ?? ''}
      data-error={job.error?.code ?? ''}
      data-connection={job.connection.status}
    >
      {jobId}: {job.status ?? 'waiting'} {job.progress ?? 0}%
    </li>
  );
}

function ConnectionBadge() {
  const state = useJobClientState();
  useEffect(() => {
    badgeHistory.push(state.status);
  }, [state]);
  return <p id="badge" data-status={state.status}>{state.status}</p>;
}

function App({ scene }: { scene: Scene }) {
  const rows = scene.jobs.map((jobId, index) => <JobRow key={index} jobId={jobId} />);
  const body = (
    <>
      <ConnectionBadge />
      <ul>{rows}</ul>
    </>
  );
  if (scene.sharedClient) {
    sharedClient ??= createJobClient({ url: scene.url, reconnect: FAST_RECONNECT });
    return <JobClientProvider client={sharedClient}>{body}</JobClientProvider>;
  }
  return <JobClientProvider options={{ url: scene.url, reconnect: FAST_RECONNECT, autoConnect: scene.autoConnect }}>{body}</JobClientProvider>;
}

const jobPage: JobPage = {
  reactVersion: version,
  badgeHistory,
  show(scene) {
    root ??= createRoot(document.getElementById('root')!);
    root.render(scene.strict ? <StrictMode><App scene={scene} /></StrictMode> : <App scene={scene} />);
  },
  clear() {
    root?.render(null);
  },
  async closeSharedClient() {
    await sharedClient?.close();
    sharedClient = undefined;
  },
};

Object.assign(window, { jobPage });
