import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as core from 'zod/v4/core';
import { JobUpdateSchema, parsePayload } from '@org/ws-protocol';

describe('the suites under zod 3.25', () => {
  it('really runs on zod 3.25, through the subpaths zod 3.25 ships', () => {
    const installed = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('zod-3/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toMatch(/^3\.25\./);
    // zod 3.25's `zod/v4` code is zod 4.0.0's and says so; the zod 4 this repository develops with is 4.6 or later.
    expect(core.version).toEqual({ major: 4, minor: 0, patch: 0 });
  });

  it('validates with it', () => {
    expect(parsePayload(JobUpdateSchema, { jobId: 'j', epoch: 'e', seq: 0, status: 'running', at: 1 }, 'job-update')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'job-update.seq: Too small: expected number to be >=1' },
    });
  });
});
