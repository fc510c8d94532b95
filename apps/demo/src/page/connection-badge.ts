import type { ConnectionState } from '@org/ws-client';

/** Least time a lost connection stays on the badge, so that a reconnect within milliseconds is still seen. */
export const TROUBLE_VISIBLE_MS = 1500;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Whether the client is trying to get a lost connection back. */
const isTrouble = (state: ConnectionState): boolean => state.status === 'reconnecting' || (state.status === 'connecting' && state.attempt > 0);

/**
 * One-line description of a connection state for the badge; `restarting` (the server announced a shutdown and will
 * be back) describes the reconnect as the expected restart it is, not as a failure.
 */
export function describeConnection(state: ConnectionState, restarting = false): { label: string; detail: string } {
  if (restarting && isTrouble(state)) {
    const attempt = state.status === 'reconnecting' || state.status === 'connecting' ? state.attempt : 0;
    return { label: 'Server restarting', detail: attempt > 1 ? `reconnecting… (attempt ${attempt})` : 'reconnecting…' };
  }
  switch (state.status) {
    case 'connecting':
      return { label: 'Connecting', detail: state.attempt === 0 ? state.url : `attempt ${state.attempt}` };
    case 'connected':
      return { label: 'Connected', detail: 'live updates' };
    case 'reconnecting':
      return { label: 'Reconnecting', detail: `${state.reason}, retry ${state.attempt} in ${seconds(state.delayMs)}` };
    case 'disconnected':
      switch (state.reason) {
        case 'idle':
          return { label: 'Idle', detail: 'server closed the idle connection; the next job reconnects' };
        case 'gave-up':
          return { label: 'Offline', detail: state.error?.message ?? 'gave up' };
        case 'closed':
          return { label: 'Closed', detail: 'client closed' };
        case 'not-started':
          return { label: 'Not connected', detail: 'starts with the first job' };
      }
  }
}

/**
 * Shows the client's connection state in `element` (`data-state` = status, `data-reason` = why, for colour and
 * tests). A lost connection stays shown for at least {@link TROUBLE_VISIBLE_MS}: the `connected` that follows a
 * quick reconnect waits until then.
 */
export class ConnectionBadge {
  #troubleSince: number | undefined;
  #deferred: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly element: HTMLElement) {}

  /** Shows `state`; `restarting` while the server restarts (see {@link describeConnection}). */
  show(state: ConnectionState, restarting = false): void {
    clearTimeout(this.#deferred);
    this.#deferred = undefined;
    const now = performance.now();
    if (state.status === 'connected' && this.#troubleSince !== undefined) {
      const remainingMs = this.#troubleSince + TROUBLE_VISIBLE_MS - now;
      this.#troubleSince = undefined;
      if (remainingMs > 0) {
        this.#deferred = setTimeout(() => this.show(state), remainingMs);
        return;
      }
    }
    if (isTrouble(state)) this.#troubleSince ??= now;
    else this.#troubleSince = undefined;
    this.#render(state, restarting);
  }

  #render(state: ConnectionState, restarting: boolean): void {
    const { label, detail } = describeConnection(state, restarting);
    this.element.dataset.state = state.status;
    this.element.dataset.reason = restarting && isTrouble(state) ? 'server-restart' : 'reason' in state ? state.reason : '';
    const dot = document.createElement('span');
    dot.className = 'dot';
    const text = document.createElement('strong');
    text.textContent = label;
    const small = document.createElement('small');
    small.textContent = detail;
    this.element.replaceChildren(dot, text, small);
  }
}
