import type { ConnectionState } from '@org/ws-client';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** One-line description of a connection state for the badge. */
export function describeConnection(state: ConnectionState): { label: string; detail: string } {
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

/** Shows the client's connection state in `element` (`data-state` = status, for colour and tests). */
export function renderConnectionBadge(element: HTMLElement, state: ConnectionState): void {
  const { label, detail } = describeConnection(state);
  element.dataset.state = state.status;
  element.dataset.reason = 'reason' in state ? state.reason : '';
  element.replaceChildren();
  const dot = document.createElement('span');
  dot.className = 'dot';
  const text = document.createElement('strong');
  text.textContent = label;
  const small = document.createElement('small');
  small.textContent = detail;
  element.append(dot, text, small);
}
