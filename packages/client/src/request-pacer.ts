import { timerDelayMs } from './timer-delay';

/** Most requests in flight at once on a fresh connection; kept below the server's abuse threshold (10 refusals in a row). */
export const MAX_REQUESTS_IN_FLIGHT = 4;

/**
 * Paces `subscribe-job` / `unsubscribe-job` requests on one connection, so resubscribing (or releasing)
 * many jobs never floods the server's rate limit into an abuse disconnect. At most
 * {@link MAX_REQUESTS_IN_FLIGHT} are in flight; once the server answers `RATE_LIMITED`, sending pauses for
 * its `retryAfterMs` and continues one at a time. Requests are keyed, so one key is queued at most once.
 */
export class RequestPacer<T> {
  private readonly waiting = new Map<string, T>();
  private inFlight = 0;
  private window = MAX_REQUESTS_IN_FLIGHT;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: (request: T) => void) {}

  /** Queues a request under `key` (replacing a queued one with the same key) and sends what the window allows. */
  enqueue(key: string, request: T): void {
    this.waiting.set(key, request);
    this.pump();
  }

  /** Drops a queued request; returns whether it was still waiting (that is, never sent). */
  remove(key: string): boolean {
    return this.waiting.delete(key);
  }

  /** A request in flight got its answer (or gave up waiting). */
  settled(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.pump();
  }

  /**
   * A request was refused with `RATE_LIMITED`: pause for `retryAfterMs` (at most what `setTimeout` honours), then go one at a time. `retry`, if
   * given, goes to the front of the queue: it was sent before everything still waiting, and sending it after a
   * later request for the same job (an unsubscribe behind a newer subscribe) would undo that request.
   */
  throttled(retryAfterMs: number, retry?: { key: string; request: T }): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.window = 1;
    if (retry) {
      const rest = [...this.waiting].filter(([key]) => key !== retry.key);
      this.waiting.clear();
      this.waiting.set(retry.key, retry.request);
      for (const [key, request] of rest) this.waiting.set(key, request);
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, timerDelayMs(retryAfterMs));
  }

  /** Forgets everything (the connection is gone or the client closed); leaves no timer. */
  reset(): void {
    this.waiting.clear();
    this.inFlight = 0;
    this.window = MAX_REQUESTS_IN_FLIGHT;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    for (const [key, request] of this.waiting) {
      if (this.inFlight >= this.window) return;
      this.waiting.delete(key);
      this.inFlight += 1;
      this.send(request);
    }
  }
}
