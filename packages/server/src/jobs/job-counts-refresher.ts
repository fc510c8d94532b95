import type { JobStore } from './job-store';

/**
 * Refreshes the job counts of the store a server actually uses (`store.refreshCounts`, when it has one) on every tick
 * of the server's ticker: never a second call while one is running, and a failure goes to `onError` instead of being
 * thrown, once until a refresh succeeds again (a store that is away would otherwise report it on every tick). Once
 * stopped it starts nothing, and a refresh still running then fails unreported (the store may be closing under it).
 */
export class JobCountsRefresher {
  readonly #store: JobStore;
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;
  #failing = false;
  #stopped = false;

  constructor(store: JobStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /** Starts a refresh, unless one is still running, the refresher stopped or the store has nothing to refresh. */
  tick(): void {
    if (this.#running || this.#stopped || this.#store.refreshCounts === undefined) return;
    this.#running = this.#refresh().finally(() => {
      this.#running = undefined;
    });
  }

  /** Starts no more refreshes; resolves (never rejects) once the one running, if any, has settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #refresh(): Promise<void> {
    try {
      await this.#store.refreshCounts?.();
      this.#failing = false;
    } catch (error) {
      if (!this.#failing && !this.#stopped) this.#onError(error);
      this.#failing = true;
    }
  }
}
