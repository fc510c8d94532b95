/** Why `pnpm demo` could not listen, and for a port in use how to choose another (`--port`, `PORT`). */
export function describeListenError(error: unknown, host: string, port: number): string {
  const { code, port: failedPort } = (error ?? {}) as { code?: unknown; port?: unknown };
  const busy = typeof failedPort === 'number' ? failedPort : port;
  if (code === 'EADDRINUSE') {
    const other = busy < 65_535 ? busy + 1 : 3000;
    return `port ${busy} on ${host} is already in use (another demo still running?). Choose another port: pnpm demo --port ${other}, or PORT=${other} pnpm demo (--port 0 takes any free one)`;
  }
  if (code === 'EACCES') return `not allowed to listen on ${host}:${busy} (ports below 1024 need privileges): choose another with --port or PORT`;
  return `could not start on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
}
