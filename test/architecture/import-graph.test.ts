import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, forbiddenImports, readImportGraph, relativeImports, type ImportGraph, type ImportRule } from './import-graph';

const root = fileURLToPath(new URL('../..', import.meta.url));
const server = 'packages/server/src/';

/** The server's core (connection lifecycle and job state) depends on nothing at its edges: Redis, monitoring, HTTP. */
const SERVER_LAYERS: ImportRule[] = ['lifecycle/', 'jobs/'].map((core) => ({
  from: server + core,
  mustNotImport: ['redis/', 'monitor/', 'http/'].map((edge) => server + edge),
}));

describe('import graph of packages/*/src', () => {
  const graph = readImportGraph(root, ['packages/protocol/src', 'packages/server/src', 'packages/client/src']);

  it('reads every source file of the packages', () => {
    expect(graph.get('packages/server/src/job-server.ts')).toContain('packages/server/src/lifecycle/connection-lifecycle.ts');
    expect(graph.get('packages/client/src/index.ts')?.length).toBeGreaterThan(0);
  });

  it('has no import cycle', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('keeps lifecycle/ and jobs/ of the server free of imports from redis/, monitor/ and http/', () => {
    expect(forbiddenImports(graph, SERVER_LAYERS)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const graph: ImportGraph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['d.ts']],
    [`${server}jobs/x.ts`, [`${server}redis/y.ts`, `${server}lifecycle/z.ts`]],
  ]);

  it('finds the relative specifiers of imports, re-exports, side-effect and dynamic imports', () => {
    const source = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "export { c } from './c.js';",
      "import './d';",
      "const e = await import('./e');",
      "import { z } from 'zod';",
    ].join('\n');
    expect(relativeImports(source)).toEqual(['./a', '../b', './c.js', './d', './e']);
  });

  it('reports each cycle with its path', () => {
    expect(findCycles(graph)).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['d.ts', 'd.ts'],
    ]);
  });

  it('reports a core file importing an edge folder', () => {
    expect(forbiddenImports(graph, SERVER_LAYERS)).toEqual([`${server}jobs/x.ts -> ${server}redis/y.ts`]);
  });
});

describe('the composition root', () => {
  it('keeps createJobServer wiring only: at most 150 lines from its signature to its closing brace', () => {
    const source = readFileSync(`${root}${server}job-server.ts`, 'utf8').split('\n');
    const start = source.findIndex((line) => /^export function createJobServer[<(]/.test(line));
    const end = source.findIndex((line, index) => index > start && line === '}');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end - start + 1).toBeLessThanOrEqual(150);
  });
});
