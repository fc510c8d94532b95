import type { JobServerLogger } from '../../src/index';

/** One log call. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  context: Record<string, unknown>;
  message: string;
}

/** A pino-shaped logger that keeps every call; `warnings` are the contexts of its `warn` calls, in order. */
export function recordingLogger(): JobServerLogger & { readonly entries: LogEntry[]; readonly warnings: Record<string, unknown>[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (context: Record<string, unknown>, message: string): void => {
      entries.push({ level, context, message });
    };
  return {
    entries,
    get warnings() {
      return entries.filter((entry) => entry.level === 'warn').map((entry) => entry.context);
    },
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
