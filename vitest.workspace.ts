// Each package and app keeps its own vitest.config.ts; this file only lists them.
export default ['packages/*', 'apps/*', 'test/publish-ready', 'test/architecture'];
