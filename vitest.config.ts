import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace';

// `vitest run` at the root runs every project listed in vitest.workspace.ts; naming them here as `test.projects`
// keeps Vitest from warning that workspace files are deprecated.
// Type tests (`*.test-d.ts`, `expectTypeOf`) are not run by Vitest: `pnpm typecheck` compiles them with the rest of
// src/ and test/, and a failed type expectation is a compile error there.
export default defineConfig({ test: { projects } });
