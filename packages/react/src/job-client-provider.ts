import { createJobClient, type JobClient, type JobClientOptions } from '@org/ws-client';
import { createElement, useEffect, useState, type ReactElement, type ReactNode } from 'react';
import { DeferredRelease } from './deferred-release';
import { JobClientContext } from './job-client-context';
import { retireClient } from './retired-clients';

/** Props of {@link JobClientProvider}: a client you own, or the options of one the provider creates and owns. */
export type JobClientProviderProps = { readonly children?: ReactNode } & (
  | {
      /** A client created (and closed) by the application; the provider never closes it. */
      readonly client: JobClient;
      readonly options?: undefined;
    }
  | {
      /**
       * Options of a client the provider creates on first render and closes when it unmounts (or is given a `client`
       * instead; given `options` again, it creates a new one). Read once: to
       * change them, remount the provider (give it a new `key`). The client opens nothing while rendering (so server
       * rendering never connects); it connects on the first `useJob`, or right after mount with `autoConnect: true`.
       */
      readonly options: JobClientOptions;
      readonly client?: undefined;
    }
);

/** A client the provider created, with the lease that closes it once the provider is really gone. */
interface OwnedClient {
  readonly client: JobClient;
  readonly options: JobClientOptions;
  readonly lease: DeferredRelease;
  closed: boolean;
}

function createOwnedClient(options: JobClientOptions): OwnedClient {
  // Never connect while rendering: a render may run on a server, or be thrown away (StrictMode renders twice).
  const client = createJobClient({ ...options, autoConnect: false });
  const owned: OwnedClient = {
    client,
    options,
    closed: false,
    lease: new DeferredRelease(() => {
      owned.closed = true;
      retireClient(client);
      void client.close();
    }),
  };
  return owned;
}

/**
 * Gives its children a job client for {@link useJob} and {@link useJobClientState}.
 *
 * @example
 * <JobClientProvider options={{ url: 'https://jobs.example.com' }}>
 *   <App />
 * </JobClientProvider>
 */
export function JobClientProvider(props: JobClientProviderProps): ReactElement {
  const ownsClient = props.client === undefined;
  const [owned, setOwned] = useState<OwnedClient | undefined>(() => (ownsClient ? createOwnedClient(props.options) : undefined));
  // Given `options` after a `client`, or shown again after its client was closed (a tree hidden by `<Activity>`, or
  // `options` back after a `client`): a client of its own from this render on, so that no child, nor any child effect,
  // is handed the closed one (it opens nothing until the effect).
  let current = owned;
  if (ownsClient && (current === undefined || current.closed)) {
    current = createOwnedClient(props.options);
    setOwned(current);
  }
  useEffect(() => {
    // Given a `client` instead of `options`, the provider lets go of the client it made (and closes it).
    if (!owned || !ownsClient) return;
    // An effect run again after its client was closed (a tree hidden and shown again keeps its state, or `options`
    // came back after a `client`) needs a new one.
    if (owned.closed) {
      setOwned(createOwnedClient(owned.options));
      return;
    }
    owned.lease.hold();
    if (owned.options.autoConnect === true) owned.client.connect();
    return () => owned.lease.letGo();
  }, [owned, ownsClient]);

  return createElement(JobClientContext.Provider, { value: props.client ?? current?.client }, props.children);
}
