// Writes asyncapi.json from the built schemas, so the document can never drift from the code.
import { writeFileSync } from 'node:fs';
import { createAsyncApiDocument } from '../dist/index.js';

const target = new URL('../asyncapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(createAsyncApiDocument(), null, 2)}\n`);
console.log('wrote asyncapi.json');
