import type { JobServer } from '@org/ws-server';

/** One `subscribe-job` or `unsubscribe-job` a server received. */
export interface LoggedRequest {
  readonly event: 'subscribe-job' | 'unsubscribe-job';
  readonly jobId: string;
}

/** Records every `subscribe-job` and `unsubscribe-job` the server receives from sockets connecting from now on. */
export function logJobRequests(server: JobServer): LoggedRequest[] {
  const log: LoggedRequest[] = [];
  server.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: unknown) => {
      if (event !== 'subscribe-job' && event !== 'unsubscribe-job') return;
      const jobId = typeof payload === 'object' && payload !== null && 'jobId' in payload ? String(payload.jobId) : '';
      log.push({ event, jobId });
    });
  });
  return log;
}
