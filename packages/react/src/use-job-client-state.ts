import type { ConnectionState } from '@org/ws-client';
import { useCallback, useSyncExternalStore } from 'react';
import { useJobClient } from './job-client-context';

/**
 * What the server rendered: a server's client never connects. Hydration must see the same, whatever state the
 * browser's client already reached (a module-scope client with `autoConnect: true`); React re-renders with it right after.
 */
const SERVER_STATE: ConnectionState = Object.freeze({ status: 'disconnected', reason: 'not-started' });
const serverState = (): ConnectionState => SERVER_STATE;

/**
 * The provider's client's connection state (`connecting`, `connected`, `reconnecting`, `disconnected`), for a
 * connection badge; re-renders on every change. Server rendering and hydration see `disconnected` (`not-started`).
 *
 * @example
 * const state = useJobClientState();
 * return <span className={state.status}>{state.status}</span>;
 */
export function useJobClientState(): ConnectionState {
  const client = useJobClient();
  const subscribe = useCallback((onChange: () => void) => client.on('state', () => onChange()), [client]);
  const read = (): ConnectionState => client.state;
  return useSyncExternalStore(subscribe, read, serverState);
}
