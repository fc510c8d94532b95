import { fileURLToPath } from 'node:url';

/** Tests run against package sources, so a change is seen without a rebuild. */
export const sourceAliases = {
  '@org/ws-protocol': fileURLToPath(new URL('./packages/protocol/src/index.ts', import.meta.url)),
  // Before '@org/ws-server', which would otherwise match this subpath as a prefix.
  '@org/ws-server/testing': fileURLToPath(new URL('./packages/server/src/testing/index.ts', import.meta.url)),
  '@org/ws-server': fileURLToPath(new URL('./packages/server/src/index.ts', import.meta.url)),
  '@org/ws-client': fileURLToPath(new URL('./packages/client/src/index.ts', import.meta.url)),
};
