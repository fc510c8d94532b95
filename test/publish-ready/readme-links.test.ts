import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../support/packed-app';

// What a reader of a README finds behind its links: files of this repository, and the API reference the
// release workflow publishes to GitHub Pages (TypeDoc, packages mode: one page per package).

const REPOSITORY = 'https://github.com/org/ws';
const API_REFERENCE = 'https://org.github.io/ws/';
const packages = ['protocol', 'server', 'client', 'react'];
const readmes = ['README.md', 'bench/README.md', ...['packages', 'apps'].flatMap((dir) => readdirSync(join(repositoryRoot, dir)).map((name) => `${dir}/${name}/README.md`))].filter(
  (file) => existsSync(join(repositoryRoot, file)),
);

/**
 * What a fresh clone holds once the working tree is committed: tracked files and new ones, but nothing git ignores
 * (build output, `bench/results/`), however many of those this checkout has.
 */
const cloned = new Set(execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, encoding: 'utf8' }).split('\n'));

/** Whether `path` (a file or a directory) is in a fresh clone. */
function inFreshClone(path: string): boolean {
  return path === '.' || cloned.has(path) || [...cloned].some((file) => file.startsWith(`${path.replace(/\/$/, '')}/`));
}

/** Every Markdown link target of `file`. */
function links(file: string): string[] {
  return [...readFileSync(join(repositoryRoot, file), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

/** The repository path a link points to, or undefined for a link elsewhere. */
function repositoryPath(file: string, link: string): string | undefined {
  const absolute = link.match(/^https:\/\/github\.com\/org\/ws\/(?:blob|tree)\/main\/([^#?]*)/);
  if (absolute) return absolute[1] || '.';
  if (/^[a-z]+:|^#/.test(link)) return undefined;
  return normalize(join(dirname(file), link.split('#')[0]!));
}

describe('README links', () => {
  it('point to files that exist in a fresh clone', () => {
    const broken = readmes.flatMap((file) =>
      links(file)
        .filter((link) => {
          const path = repositoryPath(file, link);
          return path !== undefined && !inFreshClone(path);
        })
        .map((link) => `${file}: ${link}`),
    );
    expect(readmes.length).toBeGreaterThan(packages.length);
    expect(broken).toEqual([]);
  });

  it('use the repository every package declares', () => {
    for (const name of packages) {
      const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'packages', name, 'package.json'), 'utf8')) as { repository: { url: string }; homepage: string };
      expect(manifest.repository.url).toBe(`git+${REPOSITORY}.git`);
      expect(manifest.homepage).toBe(`${REPOSITORY}/tree/main/packages/${name}#readme`);
    }
  });

  it('give every package, and each further entry it exports, its page of the published API reference', () => {
    expect(links('README.md')).toContain(API_REFERENCE);
    for (const name of packages) {
      const { exports } = JSON.parse(readFileSync(join(repositoryRoot, 'packages', name, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
      const entries = Object.entries(exports).filter(([subpath, conditions]) => subpath !== '.' && typeof conditions !== 'string');
      // TypeDoc names a package's page after the package name, with `@` and `/` as `_`, and the page of its entry
      // `./x` (`@org/ws-server/testing`, `@org/ws-protocol/status`) after both.
      const pages = [`${API_REFERENCE}modules/_org_ws-${name}.html`, ...entries.map(([subpath]) => `${API_REFERENCE}modules/_org_ws-${name}.${subpath.slice(2)}.html`)];
      expect(links(`packages/${name}/README.md`)).toEqual(expect.arrayContaining(pages));
    }
  });
});
