import type { JobStore } from './job-store';

/**
 * Refreshes the job counts of the store a server actually uses (`store.refreshCounts`, when it has one) on every tick
 * of the server's ticker: never a second call while one is running, and a failure goes to `onError` instead of being
 * thrown, once until a refresh succeeds again (a store that is away would otherwise report it on every tick).
 */
export class JobCountsRefresher {
  readonly #store: JobStore;
  readonly #onError: (error: unknown) => void;
  #running = false;
  #failing = false;

  constructor(store: JobStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /** Starts a refresh, unless one is still running or the store has nothing to refresh. */
  tick(): void {
    if (this.#running || this.#store.refreshCounts === undefined) return;
    this.#running = true;
    void this.#refresh();
  }

  async #refresh(): Promise<void> {
    try {
      await this.#store.refreshCounts?.();
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#onError(error);
      this.#failing = true;
    } finally {
      this.#running = false;
    }
  }
}
