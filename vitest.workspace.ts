// Each package and app keeps its own vitest.config.ts; this file only lists them (vitest.config.ts hands the list to Vitest).
export default ['packages/*', 'apps/*', 'test/publish-ready', 'test/architecture', 'test/bundle-budget', 'test/zod-3'];
