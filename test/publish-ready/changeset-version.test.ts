import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const changesetBin = join(root, 'node_modules/@changesets/cli/bin.js');
const released = ['protocol', 'server', 'client', 'react'];
let copy: string;

function manifest(dir: string): { name: string; version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'));
}

beforeAll(() => {
  // `changeset version` rewrites manifests and deletes changesets, so it runs on a copy of the workspace's metadata.
  copy = mkdtempSync(join(tmpdir(), 'org-ws-release-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset']) cpSync(join(root, file), join(copy, file), { recursive: true });
  for (const dir of [...released.map((name) => `packages/${name}`), 'apps/demo']) {
    if (existsSync(join(root, dir, 'package.json'))) cpSync(join(root, dir, 'package.json'), join(copy, dir, 'package.json'));
  }
  execFileSync(process.execPath, [changesetBin, 'version'], { cwd: copy, stdio: 'pipe', timeout: 60_000 });
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('pnpm changeset version', () => {
  it('has pending changesets to release', () => {
    const pending = readdirSync(join(root, '.changeset')).filter((file) => file.endsWith('.md') && file !== 'README.md');
    expect(pending.length).toBeGreaterThan(0);
  });

  it('gives the four packages of the fixed group one new version', () => {
    const versions = released.map((name) => manifest(`packages/${name}`).version);
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).not.toBe('0.0.0');
  });

  it('writes a CHANGELOG entry for that version in every package', () => {
    const version = manifest('packages/protocol').version;
    for (const name of released) {
      expect(readFileSync(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8')).toContain(`## ${version}`);
    }
  });

  it('ships that CHANGELOG in every package tarball', () => {
    for (const name of released) {
      const packed = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'], { cwd: join(copy, 'packages', name), encoding: 'utf8', timeout: 60_000 });
      const [{ files }] = JSON.parse(packed) as [{ files: { path: string }[] }];
      expect(files.map((file) => file.path), name).toContain('CHANGELOG.md');
    }
  });

  it('keeps internal dependencies on the workspace protocol and leaves the demo alone', () => {
    expect(manifest('packages/server').dependencies?.['@org/ws-protocol']).toMatch(/^workspace:/);
    if (existsSync(join(copy, 'apps/demo/package.json'))) expect(existsSync(join(copy, 'apps/demo/CHANGELOG.md'))).toBe(false);
  });
});
