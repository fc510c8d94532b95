// The child side of redis-child-process.ts: config from argv, replies to `{ id, op }` requests, events to the parent.

/** The JSON config the parent passed as the first argument. */
export function childConfig<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** Sends an event (`{ type, ... }`) to the parent. */
export function sendEvent(type: string, fields: Record<string, unknown> = {}): void {
  process.send?.({ type, ...fields });
}

/** Answers the parent's requests with these handlers; the process exits when the parent goes away. */
export function serveRequests(handlers: Record<string, (args: Record<string, unknown>) => unknown>): void {
  process.on('message', (raw) => {
    const { id, op, ...args } = raw as { id: number; op: string } & Record<string, unknown>;
    const handler = handlers[op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${op}`);
        return handler(args);
      })
      .then(
        (result) => process.send?.({ id, ok: true, result: result ?? null }),
        (error: unknown) => process.send?.({ id, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
