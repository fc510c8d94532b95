// The page the browser tests drive: a JobClientProvider around job rows and a connection badge, re-rendered from
// the test through `window.jobPage`. Bundled once per React version (test/support/test-page-bundle.ts).
import { createJobClient, type JobClient } from '@org/ws-client';
import { Activity, StrictMode, useEffect, version, type ReactNode } from 'react';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import * as z from 'zod';
import { JobClientProvider, useJob, useJobClient, useJobClientState } from '../../src/index';

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
  /** Wrap the provider, or the rows, in `<Activity>` (React 19.2+) in this mode. */
  readonly activity?: { readonly around: 'provider' | 'rows'; readonly mode: 'visible' | 'hidden' };
}

/** What hydrating over server-rendered markup reported. */
export interface HydrationReport {
  /** The badge's status in the server-rendered markup. */
  readonly serverBadge: string;
  /** Hydration errors and warnings: `console.error` calls and `onRecoverableError` reports. */
  readonly errors: string[];
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
  /** Per job id, every `status|outcome|error` its rows committed, in order. */
  readonly rowHistory: Record<string, string[]>;
  /** The state (`disconnected/<reason>` for a disconnected one) of each client a child effect got from `useJobClient()`, in order. */
  readonly clientInEffects: string[];
  /** Calls `connect()` on the provider's client, as an application does after a give-up. */
  connect(): void;
  /**
   * Hydrates a badge under `<JobClientProvider client={…}>` over markup a never-connected client rendered (as a server
   * does), with a client created with `autoConnect: true` that is already connected; unmounts and closes it after.
   */
  hydrateWithConnectedClient(url: string): Promise<HydrationReport>;
}

const FAST_RECONNECT = { initialDelayMs: 50, maxDelayMs: 500, minDelayMs: 20 };
const badgeHistory: string[] = [];
let root: Root | undefined;
let sharedClient: JobClient | undefined;
/** The client of the provider last rendered. */
let providerClient: JobClient | undefined;
const rowHistory: Record<string, string[]> = {};
const clientInEffects: string[] = [];

/** The data of `checked-*` jobs, checked at runtime by their rows. */
const CheckedData = z.object({ url: z.string() });

function JobRow({ jobId }: { jobId: string }) {
  const job = useJob(jobId, jobId.startsWith('checked-') ? { data: CheckedData } : {});
  const label = `${job.status ?? 'none'}|${job.outcome?.kind ?? ''}|${job.error?.code ?? ''}`;
  useEffect(() => {
    (rowHistory[jobId] ??= []).push(label);
  }, [jobId, label]);
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

function ProviderClient() {
  const client = useJobClient();
  providerClient = client;
  // What a child effect finds in useJobClient() (the README: call waitFor or connect() on it).
  useEffect(() => {
    const { state } = client;
    clientInEffects.push(state.status === 'disconnected' ? `disconnected/${state.reason}` : state.status);
  }, [client]);
  return null;
}

function App({ scene }: { scene: Scene }) {
  const around = (where: 'provider' | 'rows', node: ReactNode) =>
    scene.activity?.around === where ? <Activity mode={scene.activity.mode}>{node}</Activity> : node;
  const rows = scene.jobs.map((jobId, index) => <JobRow key={index} jobId={jobId} />);
  const body = (
    <>
      <ProviderClient />
      <ConnectionBadge />
      {around('rows', <ul>{rows}</ul>)}
    </>
  );
  if (scene.sharedClient) {
    sharedClient ??= createJobClient({ url: scene.url, reconnect: FAST_RECONNECT });
    return around('provider', <JobClientProvider client={sharedClient}>{body}</JobClientProvider>);
  }
  return around('provider', <JobClientProvider options={{ url: scene.url, reconnect: FAST_RECONNECT, autoConnect: scene.autoConnect }}>{body}</JobClientProvider>);
}

/** Resolves once `client` is connected. */
function connected(client: JobClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.state.status === 'connected') return resolve();
    const stop = client.on('connected', () => {
      stop();
      resolve();
    });
  });
}

/** Resolves once the badge shows `status`; rejects after 5 s. */
function badgeShows(status: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => document.getElementById('badge')?.dataset.status === status;
    if (check()) return resolve();
    const observer = new MutationObserver(() => {
      if (!check()) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`the badge did not show ${status} within 5 s`));
    }, 5000);
    observer.observe(document.body, { subtree: true, attributes: true, childList: true });
  });
}

const jobPage: JobPage = {
  reactVersion: version,
  badgeHistory,
  rowHistory,
  clientInEffects,
  show(scene) {
    root ??= createRoot(document.getElementById('root')!);
    root.render(scene.strict ? <StrictMode><App scene={scene} /></StrictMode> : <App scene={scene} />);
  },
  clear() {
    root?.render(null);
  },
  connect() {
    providerClient?.connect();
  },
  async hydrateWithConnectedClient(url) {
    const container = document.getElementById('root')!;
    const serverClient = createJobClient({ url });
    container.innerHTML = renderToString(<JobClientProvider client={serverClient}><ConnectionBadge /></JobClientProvider>);
    await serverClient.close();
    const serverBadge = document.getElementById('badge')!.dataset.status!;
    const client = createJobClient({ url, autoConnect: true });
    await connected(client);
    const errors: string[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '));
    try {
      const hydrated = hydrateRoot(container, <JobClientProvider client={client}><ConnectionBadge /></JobClientProvider>, {
        onRecoverableError: (error) => errors.push(`recoverable: ${String(error)}`),
      });
      // Hydration is over once the live state replaced the server's.
      await badgeShows('connected');
      hydrated.unmount();
    } finally {
      console.error = consoleError;
      await client.close();
    }
    return { serverBadge, errors };
  },
  async closeSharedClient() {
    await sharedClient?.close();
    sharedClient = undefined;
  },
};

Object.assign(window, { jobPage });
