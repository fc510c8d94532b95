import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, runInBackground } from '../support/packed-app';

// The API reference site that `pnpm docs:api` writes and the release workflow publishes: TypeDoc in packages mode,
// one project per package, each with an entry point per code entry the package exports.

const packages = ['protocol', 'server', 'client', 'react'];

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(repositoryRoot, path), 'utf8')) as T;
}

/** The source file behind a built entry (`./dist/status.js` → `src/status.ts` or `src/status/index.ts`). */
function sourceOf(packageDir: string, built: string): string | undefined {
  const name = built.match(/^\.\/dist\/(.+)\.js$/)?.[1];
  return [`src/${name}.ts`, `src/${name}/index.ts`].find((source) => name !== undefined && existsSync(join(repositoryRoot, packageDir, source)));
}

describe('the API reference', () => {
  it('has a project for every package', () => {
    expect(readJson<{ entryPoints: string[] }>('typedoc.json').entryPoints).toEqual(packages.map((name) => `packages/${name}`));
  });

  it('documents every code entry each package exports, @org/ws-protocol/status and @org/ws-server/testing included', () => {
    const entries = packages.flatMap((name) => {
      const packageDir = `packages/${name}`;
      const { exports } = readJson<{ exports: Record<string, string | { import: { default: string } }> }>(`${packageDir}/package.json`);
      const { entryPoints } = readJson<{ entryPoints: string[] }>(`${packageDir}/typedoc.json`);
      return Object.entries(exports)
        .filter((entry): entry is [string, { import: { default: string } }] => typeof entry[1] !== 'string')
        .map(([subpath, conditions]) => {
          const source = sourceOf(packageDir, conditions.import.default);
          return { entry: `@org/ws-${name}${subpath.slice(1)}`, source, documented: source !== undefined && entryPoints.includes(source) };
        });
    });
    expect(entries.map(({ entry }) => entry)).toEqual(expect.arrayContaining(['@org/ws-protocol/status', '@org/ws-server/testing']));
    expect(entries.filter(({ documented }) => !documented)).toEqual([]);
  });

  it('is built by the script the README and the release workflow name, which pnpm runs as written', async () => {
    const scripts = readJson<{ scripts: Record<string, string> }>('package.json').scripts;
    const [script] = Object.entries(scripts).find(([, command]) => command === 'typedoc') ?? [];
    expect(script).toBeDefined();
    expect(readFileSync(join(repositoryRoot, 'README.md'), 'utf8')).toContain(`pnpm ${script}`);
    expect(readFileSync(join(repositoryRoot, '.github/workflows/release.yml'), 'utf8')).toContain(`run: pnpm ${script}\n`);
    // pnpm hands some names to npm instead of running the script of that name (`pnpm docs` is `npm docs`, which opens
    // a browser): TypeDoc's own help proves that `pnpm <script>` reaches TypeDoc.
    expect(await runInBackground(repositoryRoot, 'pnpm', [script!, '--help'])).toContain('--entryPointStrategy');
  });
});
