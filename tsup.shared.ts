import { defineConfig, type Options } from 'tsup';

/** Build settings every published package shares: ESM + CJS with matching type declarations. */
export function packageBuild(overrides: Partial<Options> = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    ...overrides,
  });
}
