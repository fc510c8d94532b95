// Many @org/ws-client instances in one process, each watching every job, with a list of server URLs for failover.
// The client package is not a dependency of the server (it depends on the server for its own tests): import its source.
import { createJobClient, type JobClient } from '../../../client/src/index';
import { childConfig, sendEvent, serveRequests } from './redis-child-ipc';

/** Config of a watch-clients process: one client per URL list. */
export interface WatchClientsConfig {
  urlLists: string[][];
  jobs: string[];
}

/** What one client saw of one job. */
export interface WatchedJob {
  /** Seqs delivered to the application, in delivery order. */
  seqs: number[];
  /** Terminal updates delivered (must be exactly 1 in the end). */
  terminals: number;
  /** How the subscription ended, if it did. */
  outcome: string | undefined;
}

/** What `report` returns per client. */
export interface ClientReport {
  /** URLs of every successful handshake, in order. */
  connectedTo: string[];
  state: string;
  jobs: Record<string, WatchedJob>;
}

const config = childConfig<WatchClientsConfig>();
const reports: ClientReport[] = [];
const clients: JobClient[] = config.urlLists.map((urls, index) => {
  const report: ClientReport = { connectedTo: [], state: 'connecting', jobs: {} };
  reports[index] = report;
  const client = createJobClient({
    urls,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400, minDelayMs: 20 },
    heartbeat: { intervalMs: 1000, graceMs: 2000 },
    socketOptions: { transports: ['websocket'] },
  });
  client.on('state', (state) => {
    report.state = state.status;
    if (state.status === 'connected') report.connectedTo.push(state.url);
  });
  for (const jobId of config.jobs) {
    const watched: WatchedJob = { seqs: [], terminals: 0, outcome: undefined };
    report.jobs[jobId] = watched;
    const subscription = client.subscribe(jobId, (update) => {
      watched.seqs.push(update.seq);
      if (['completed', 'failed', 'cancelled'].includes(update.status)) watched.terminals += 1;
    });
    subscription.on('end', (outcome) => {
      watched.outcome = outcome.kind;
    });
  }
  return client;
});

serveRequests({
  report: () => reports,
  close: async () => {
    await Promise.all(clients.map((client) => client.close()));
    return null;
  },
});
sendEvent('started', { clients: clients.length });
