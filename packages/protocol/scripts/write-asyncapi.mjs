// Writes asyncapi.json from the built schemas, so the document can never drift from the code. In CI (`CI` set, as CI
// services set it) it checks instead of writing: a committed asyncapi.json that differs from the schemas fails the build.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createAsyncApiDocument } from '../dist/index.js';

const target = new URL('../asyncapi.json', import.meta.url);
const document = `${JSON.stringify(createAsyncApiDocument(), null, 2)}\n`;
const ci = process.env.CI?.trim().toLowerCase();
const inCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';

if (existsSync(target) && readFileSync(target, 'utf8') === document) {
  console.log('asyncapi.json is up to date');
} else if (inCi) {
  console.error('packages/protocol/asyncapi.json is stale: run pnpm build and commit it');
  process.exit(1);
} else {
  writeFileSync(target, document);
  console.log('wrote asyncapi.json');
}
