import { packageBuild } from '../../tsup.shared';

export default packageBuild({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  // The testing entry imports the server by its package name, so it shares the main entry instead of bundling a copy.
  external: ['@org/ws-server'],
});
