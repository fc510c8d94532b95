import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../support/packed-app';

// The release workflow as GitHub runs it: its text is all there is to check before the first release.

const workflow = readFileSync(join(repositoryRoot, '.github/workflows/release.yml'), 'utf8');

/** The text of one job of the workflow, from its key to the next job's. */
function job(name: string): string {
  const jobs = workflow.slice(workflow.indexOf('\njobs:\n'));
  const start = jobs.indexOf(`\n  ${name}:\n`);
  expect(start, `job ${name}`).toBeGreaterThan(0);
  const next = jobs.slice(start + 1).search(/\n {2}[a-z][\w-]*:\n/);
  return next < 0 ? jobs.slice(start) : jobs.slice(start, start + 1 + next);
}

describe('the release workflow', () => {
  it('publishes with npm provenance: an OIDC token for the publishing job and provenance turned on', () => {
    const release = job('release');
    expect(release).toMatch(/\n {6}id-token: write\n/);
    expect(release).toMatch(/\n {10}NPM_CONFIG_PROVENANCE: true\n/);
    expect(release).toContain('uses: changesets/action@v1');
  });

  it('publishes nothing untested: the CI gate runs before changesets publishes', () => {
    const release = job('release');
    expect(release.indexOf('run: bash .ci/run')).toBeGreaterThan(0);
    expect(release.indexOf('run: bash .ci/run')).toBeLessThan(release.indexOf('uses: changesets/action@v1'));
  });

  it('publishes the API reference to GitHub Pages after each release that published', () => {
    const docs = job('api-docs');
    expect(docs).toContain('needs: release');
    expect(docs).toContain("if: needs.release.outputs.published == 'true'");
    expect(docs.indexOf('run: pnpm build')).toBeLessThan(docs.indexOf('run: pnpm docs:api'));
    expect(docs).toContain('path: docs/api');
    expect(docs).toContain('uses: actions/deploy-pages@v4');
  });
});
