import type { JobServer } from '@org/ws-server';

/** Browser tabs identify themselves with their tab id as handshake token; this is what `authenticate` makes of it. */
export interface TabPrincipal {
  /** Random id the page picked for itself. */
  tab: string;
}

/** Accepts every connection and remembers which tab it belongs to (the demo has no real users). */
export function authenticateTab({ auth }: { auth: { token?: string | undefined } }): TabPrincipal {
  return { tab: auth.token ?? 'anonymous' };
}

/** Socket ids of each tab's live connections, so the demo can drop exactly one tab's transport. */
export interface TabConnections {
  /** Closes the transport of every connection of `tab` without a notice, as a network failure would; returns how many. */
  dropTransport(tab: string): number;
  /** Number of tabs with a live connection. */
  readonly size: number;
  /** Stops listening to the server's connection events. */
  close(): void;
}

/** Tracks tabs through the job server's `connection` and `disconnect` events. */
export function trackTabConnections(server: JobServer): TabConnections {
  const socketsByTab = new Map<string, Set<string>>();
  const tabBySocket = new Map<string, string>();
  const offConnection = server.on('connection', ({ socketId, principal }) => {
    const { tab } = principal as TabPrincipal;
    tabBySocket.set(socketId, tab);
    const sockets = socketsByTab.get(tab) ?? new Set();
    sockets.add(socketId);
    socketsByTab.set(tab, sockets);
  });
  const offDisconnect = server.on('disconnect', ({ socketId }) => {
    const tab = tabBySocket.get(socketId);
    if (tab === undefined) return;
    tabBySocket.delete(socketId);
    const sockets = socketsByTab.get(tab);
    sockets?.delete(socketId);
    if (sockets?.size === 0) socketsByTab.delete(tab);
  });
  return {
    dropTransport(tab) {
      let dropped = 0;
      for (const socketId of socketsByTab.get(tab) ?? []) {
        const socket = server.io.sockets.sockets.get(socketId);
        if (!socket) continue;
        // Closing the engine.io connection (not `socket.disconnect()`) looks to the client like a lost network.
        socket.conn.close();
        dropped += 1;
      }
      return dropped;
    },
    get size() {
      return socketsByTab.size;
    },
    close() {
      offConnection();
      offDisconnect();
      socketsByTab.clear();
      tabBySocket.clear();
    },
  };
}
