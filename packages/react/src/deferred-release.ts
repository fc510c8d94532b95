/**
 * Releases a resource one microtask after its last holder let go, unless it is held again first. React's
 * StrictMode unmounts and remounts every effect synchronously in development; deferring the release to a
 * microtask lets that remount keep the resource (one `subscribe-job`, one client) instead of tearing it
 * down and building it again.
 */
export class DeferredRelease {
  private holders = 0;
  private scheduled = false;

  constructor(private readonly release: () => void) {}

  /** Whether anyone holds the resource now. */
  get held(): boolean {
    return this.holders > 0;
  }

  /** Takes a hold; cancels a release that is scheduled but has not run yet. */
  hold(): void {
    this.holders += 1;
  }

  /** Drops a hold; the last one schedules the release for the next microtask. */
  letGo(): void {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders > 0 || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.holders === 0) this.release();
    });
  }
}
