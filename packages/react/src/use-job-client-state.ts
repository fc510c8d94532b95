import type { ConnectionState } from '@org/ws-client';
import { useCallback, useSyncExternalStore } from 'react';
import { useJobClient } from './job-client-context';

/**
 * The provider's client's connection state (`connecting`, `connected`, `reconnecting`, `disconnected`), for a
 * connection badge; re-renders on every change.
 *
 * @example
 * const state = useJobClientState();
 * return <span className={state.status}>{state.status}</span>;
 */
export function useJobClientState(): ConnectionState {
  const client = useJobClient();
  const subscribe = useCallback((onChange: () => void) => client.on('state', () => onChange()), [client]);
  const read = (): ConnectionState => client.state;
  return useSyncExternalStore(subscribe, read, read);
}
