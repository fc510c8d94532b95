import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUDGETS, clientReadmeStatement, measureBundles, protocolReadmeStatement } from './measure.mjs';

const readme = (name: string) => readFileSync(new URL(`../../packages/${name}/README.md`, import.meta.url), 'utf8');

// Bundles the built packages (`pnpm test` builds them first), as a browser app ships them.
describe('bundle budget (esbuild, minified, browser, gzip -9)', async () => {
  const sizes = await measureBundles();

  it('a typical app (createJobClient, subscribe, waitFor) adds at most 12 KiB gzip over the same app on plain socket.io-client', () => {
    expect(sizes.plain.gzip).toBeGreaterThan(5 * 1024); // the baseline really bundled socket.io-client
    expect(sizes.clientOverPlain.gzip).toBeLessThanOrEqual(BUDGETS.clientOverPlain);
  });

  it('isTerminal alone from @org/ws-protocol/status is at most 1.5 KiB gzip', () => {
    expect(sizes.isTerminal.gzip).toBeLessThanOrEqual(BUDGETS.isTerminal);
  });

  it('the client README states the sizes of this run', () => {
    const statement = clientReadmeStatement(sizes);
    expect(readme('client'), `packages/client/README.md must state: ${statement}`).toContain(statement);
  });

  it('the protocol README states the size of isTerminal alone from this run', () => {
    const statement = protocolReadmeStatement(sizes);
    expect(readme('protocol'), `packages/protocol/README.md must state: ${statement}`).toContain(statement);
  });
});
