import type { z } from 'zod';
import {
  ApiErrorSchema,
  DemoSettingsSchema,
  DroppedSchema,
  RestartingSchema,
  StartedJobsSchema,
  StatsReplySchema,
  TAB_HEADER,
  type DemoSettings,
  type StatsReply,
} from '../api-schemas';

/** A demo API call that failed: HTTP error, unreachable server or an unexpected reply. */
export class DemoApiError extends Error {
  override name = 'DemoApiError';
}

/** Calls the demo API and validates the reply against `schema`. */
async function call<T>(schema: z.ZodType<T>, path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (error) {
    throw new DemoApiError(`${path}: server unreachable`, { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const failure = ApiErrorSchema.safeParse(body);
    throw new DemoApiError(failure.success ? failure.data.error.message : `${path}: HTTP ${response.status}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new DemoApiError(`${path}: unexpected reply`, { cause: parsed.error });
  return parsed.data;
}

/** The page's view of the demo server's HTTP API. */
export const demoApi = {
  /** Lifecycle settings in force. */
  settings: (): Promise<DemoSettings> => call(DemoSettingsSchema, '/api/settings'),
  /** Starts `count` simulated jobs; resolves their ids. */
  startJobs: async (count: number): Promise<string[]> => (await call(StartedJobsSchema, `/api/jobs?count=${count}`, { method: 'POST' })).jobIds,
  /** Monitor history and lifecycle counters. */
  stats: (): Promise<StatsReply> => call(StatsReplySchema, '/api/stats'),
  /** Kills this tab's transport on the server side; resolves how many connections were dropped. */
  dropConnection: async (tab: string): Promise<number> => (await call(DroppedSchema, '/api/drop', { method: 'POST', headers: { [TAB_HEADER]: tab } })).dropped,
  /** Asks the server to restart itself (shutdown notices, a second of downtime, back on the same port). */
  restartServer: async (): Promise<void> => {
    await call(RestartingSchema, '/api/restart', { method: 'POST' });
  },
};
