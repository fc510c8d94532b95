import { createJobClient, JobClientError, type JobSubscription } from '@org/ws-client';
import type { DemoSettings } from '../api-schemas';
import { ConnectionBadge } from './connection-badge';
import { DemoApiError, demoApi } from './demo-api';
import { EventLog } from './event-log';
import { ExpectedRestart } from './expected-restart';
import { floodWithRawSocket } from './flooding-connection';
import { JobBoard, type BoardSummary } from './job-board';
import { StatsChart } from './stats-chart';

/** Longest the "freeze tab" button blocks the page. */
const MAX_FREEZE_MS = 15_000;
/** Least time between two log notes that the client is paced by the server's rate limit. */
const PACED_NOTE_EVERY_MS = 5000;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
};

/** A random id for this tab, sent as handshake token so the server can drop exactly this tab's transport. */
function newTabId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `tab-${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function renderSummary(element: HTMLElement, summary: BoardSummary): void {
  const parts = Object.entries(summary).map(([status, count]) => `${count} ${status}`);
  element.textContent = parts.length > 0 ? parts.join(' · ') : '';
  byId('jobs-empty').hidden = parts.length > 0;
}

/** Buttons that demonstrate the lifecycle rules; each explains itself in the event log. */
function wireLifecycleButtons(settings: DemoSettings, tab: string, log: EventLog): void {
  const report = (error: unknown): void => log.add('bad', error instanceof DemoApiError ? error.message : String(error));

  byId('drop').addEventListener('click', () => {
    demoApi.dropConnection(tab).then((dropped) => {
      log.add('warn', dropped > 0 ? 'Transport killed by the server: watch the client reconnect and resubscribe' : 'Not connected right now');
    }, report);
  });

  byId('restart').addEventListener('click', () => {
    log.add('warn', 'Restarting the server: a shutdown notice comes first');
    demoApi.restartServer().catch(report);
  });

  const freezeMs = settings.heartbeat.intervalMs + settings.heartbeat.timeoutMs + 500;
  const freeze = byId<HTMLButtonElement>('freeze');
  freeze.textContent = `Freeze tab ${Math.round(freezeMs / 1000)} s`;
  if (freezeMs > MAX_FREEZE_MS) {
    freeze.disabled = true;
    const command = document.createElement('code');
    command.textContent = 'pnpm demo --fast';
    byId('break-hint').append('Heartbeats, idle and shutdown notices take minutes with the default settings: run ', command, ' to see each within seconds.');
  }
  freeze.addEventListener('click', () => {
    log.add('warn', `Freezing this tab for ${freezeMs} ms: its heartbeat answer will be late`);
    // Let the log line paint, then block the main thread the way a frozen or busy tab would.
    setTimeout(() => {
      const until = performance.now() + freezeMs;
      while (performance.now() < until) {
        // busy on purpose
      }
      log.add('info', 'Tab unfrozen');
    }, 50);
  });

  byId('flood').addEventListener('click', () => {
    const { events, windowMs, abuseStrikes } = settings.rateLimit;
    log.add('info', `Rate limit: ${events} events per ${windowMs / 1000} s per connection, disconnect after ${abuseStrikes} refusals in a row`);
    floodWithRawSocket({ url: location.origin, token: `${tab}-flood`, count: events + abuseStrikes + 20, log });
  });
}

async function main(): Promise<void> {
  const log = new EventLog(byId('log'));
  const badge = new ConnectionBadge(byId('connection'));
  const board = new JobBoard(byId('jobs'), (summary) => renderSummary(byId('job-summary'), summary));
  const settings = await demoApi.settings();
  const tab = newTabId();

  // With several nodes (`--nodes`), this page's node comes first and the others are where it fails over to.
  const others = (settings.nodePorts ?? []).filter((port) => String(port) !== location.port);
  const client = createJobClient({
    urls: [location.origin, ...others.map((port) => `${location.protocol}//${location.hostname}:${port}`)],
    auth: tab,
    heartbeat: { intervalMs: settings.heartbeat.intervalMs, graceMs: settings.heartbeat.timeoutMs + 1000 },
    reconnect: { maxDelayMs: 5000 },
  });
  // A shutdown notice that asks clients back (Restart server, Ctrl-C) makes the reconnect that follows expected, not an error.
  const restart = new ExpectedRestart();
  badge.show(client.state);
  client.on('state', (state) => badge.show(state, restart.active));
  let connections = 0;
  client.on('connected', () => {
    connections += 1;
    if (restart.end()) log.add('good', 'Reconnected after the server restart; open jobs resubscribed with their lastSeq');
    else log.add('good', connections === 1 ? 'Connected' : 'Reconnected; open jobs resubscribed with their lastSeq');
  });
  client.on('reconnecting', (state) => {
    if (!restart.active) log.add('warn', `Connection lost (${state.reason}); retry in ${Math.round(state.delayMs)} ms`);
    else if (restart.firstReconnect()) log.add('warn', 'Server restarting, reconnecting…');
  });
  client.on('disconnected', (state) => {
    restart.end();
    log.add(state.reason === 'idle' ? 'info' : 'bad', `Disconnected: ${state.reason}`);
  });
  client.on('notice', (notice) => {
    if (notice.reason === 'shutdown' && notice.reconnect) restart.announce();
    log.add('warn', `Server notice "${notice.reason}": disconnect in ${notice.graceMs} ms${notice.reconnect ? `, come back after ${notice.retryAfterMs ?? 0} ms` : ''}`);
  });
  // While the server restarts, refused and failed connects are what a restart looks like: noted, not alarming.
  // Many jobs started at once pass the server's rate limit (subscribe and unsubscribe per job): the client then sends
  // one request at a time and retries the refused one itself, so a note now and then says so, not a line per refusal.
  let pacedNoteAt = Number.NEGATIVE_INFINITY;
  client.on('error', (error) => {
    if (restart.active) log.add('info', `While the server restarts: ${error.code}: ${error.message}`);
    else if (error.code !== 'RATE_LIMITED') log.add('bad', `${error.code}: ${error.message}`);
    else if (performance.now() - pacedNoteAt >= PACED_NOTE_EVERY_MS) {
      pacedNoteAt = performance.now();
      log.add('warn', `Requests paced by the server's rate limit (${error.message}); the client retries them one at a time`);
    }
  });
  // The client is lazy (it would connect on the first job); the page connects at once to show its connection badge.
  client.connect();

  const subscriptions = new Map<string, JobSubscription>();
  const watch = (jobId: string): void => {
    board.add(jobId);
    let subscription: JobSubscription;
    try {
      subscription = client.subscribe(jobId, (update) => board.update(update));
    } catch (error) {
      // E.g. the client gave up (until it connects again) or the id is malformed: this row fails, the others go on.
      const message = error instanceof JobClientError ? `${error.code}: ${error.message}` : String(error);
      board.fail(jobId, message);
      log.add('bad', `Cannot watch ${jobId}: ${message}`);
      return;
    }
    subscription.on('end', (outcome) => {
      board.end(jobId, outcome);
      if (outcome.kind === 'expired') log.add('warn', `Job ${jobId} expired (${outcome.reason}) after seq ${outcome.lastSeq}`);
    });
    subscriptions.set(jobId, subscription);
  };
  const start = (count: number): void => {
    demoApi.startJobs(count).then(
      (ids) => {
        for (const jobId of ids) watch(jobId);
        log.add('info', `Started ${ids.length} job${ids.length === 1 ? '' : 's'}`);
      },
      (error: unknown) => log.add('bad', error instanceof Error ? error.message : String(error)),
    );
  };
  byId('start-1').addEventListener('click', () => start(1));
  byId('start-10').addEventListener('click', () => start(10));
  byId('clear').addEventListener('click', () => {
    for (const jobId of board.clearFinished()) {
      subscriptions.get(jobId)?.unsubscribe();
      subscriptions.delete(jobId);
    }
  });
  wireLifecycleButtons(settings, tab, log);

  const chart = new StatsChart(byId('stats'), settings.monitor.historySize);
  byId('stats-caption').textContent = `last ${Math.round((settings.monitor.historySize * settings.monitor.intervalMs) / 1000)} s, a sample every ${settings.monitor.intervalMs / 1000} s; red = alert`;
  const pollStats = (): void => {
    demoApi.stats().then(
      (reply) => chart.render(reply),
      () => chart.unavailable(),
    );
  };
  pollStats();
  setInterval(pollStats, settings.monitor.intervalMs);
  log.add('info', `Heartbeat every ${settings.heartbeat.intervalMs / 1000} s, idle after ${settings.session.idleTimeoutMs / 1000} s`);
}

main().catch((error: unknown) => {
  document.body.dataset.failed = 'true';
  const message = document.createElement('p');
  message.className = 'fatal';
  message.textContent = `The demo page could not start: ${error instanceof Error ? error.message : String(error)}`;
  document.body.prepend(message);
});
