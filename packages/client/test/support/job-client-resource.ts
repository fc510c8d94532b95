import type { JobUpdate } from '@org/ws-protocol';
import { createJobClient, type ConnectionState, type JobClient, type JobClientError, type JobClientOptions, type JobSubscription } from '../../src/index';
import { trackClosable } from './leak-check';

/** A job client whose every state and error is recorded; closed by the leak check after the test. */
export interface RecordedClient {
  /** The client under test. */
  readonly client: JobClient;
  /** Every state it went through, in order. */
  readonly states: ConnectionState[];
  /** Every error it reported. */
  readonly errors: JobClientError[];
  /** Resolves with the first state (current or future) that matches. */
  until<S extends ConnectionState>(predicate: (state: ConnectionState) => state is S): Promise<S>;
  /** Resolves with the first state (current or future) that matches. */
  until(predicate: (state: ConnectionState) => boolean): Promise<ConnectionState>;
}

/**
 * Creates a job client for a test (fast test-friendly defaults, overridable). It connects at once (`autoConnect: true`)
 * because these tests are about the connection; pass `autoConnect: false` or `undefined` for the lazy default.
 */
export function openClient(options: JobClientOptions): RecordedClient {
  const client = createJobClient({ reconnect: { initialDelayMs: 50, maxDelayMs: 500, minDelayMs: 20 }, ackTimeoutMs: 2000, autoConnect: true, ...options });
  trackClosable(() => client.close());
  const states: ConnectionState[] = [client.state];
  const errors: JobClientError[] = [];
  client.on('state', (state) => states.push(state));
  client.on('error', (error) => errors.push(error));
  const until = (predicate: (state: ConnectionState) => boolean): Promise<ConnectionState> =>
    new Promise((resolve) => {
      if (predicate(client.state)) {
        resolve(client.state);
        return;
      }
      const off = client.on('state', (state) => {
        if (!predicate(state)) return;
        off();
        resolve(state);
      });
    });
  return { client, states, errors, until: until as RecordedClient['until'] };
}

/** Whether a state is `connected`. */
export const isConnected = (state: ConnectionState): state is Extract<ConnectionState, { status: 'connected' }> => state.status === 'connected';

/** Updates and outcomes one subscription handle received. */
export interface RecordedSubscription {
  /** The handle. */
  readonly handle: JobSubscription;
  /** Every update delivered, in order. */
  readonly updates: JobUpdate[];
  /** How many times `end` fired. */
  readonly ends: number;
  /** `seq` of every update delivered. */
  readonly seqs: number[];
}

/** Subscribes and records what the handle receives. */
export function record(client: JobClient, jobId: string): RecordedSubscription {
  const updates: JobUpdate[] = [];
  let ends = 0;
  const handle = client.subscribe(jobId, (update) => updates.push(update));
  handle.on('end', () => {
    ends += 1;
  });
  return {
    handle,
    updates,
    get ends() {
      return ends;
    },
    get seqs() {
      return updates.map((update) => update.seq);
    },
  };
}

/**
 * How many job ids the client's per-job registry holds (its private `jobs` map, read here because no public API
 * shows it): 0 once every handle of every job went.
 */
export function registeredJobs(client: JobClient): number {
  return (client as unknown as { jobs: ReadonlyMap<string, unknown> }).jobs.size;
}
