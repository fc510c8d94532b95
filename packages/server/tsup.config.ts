import { packageBuild } from '../../tsup.shared';

export default packageBuild({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  // The testing entry imports the server by its package name, so it shares the main entry instead of bundling a copy.
  external: ['@org/ws-server'],
  // Its declarations are built together with the main entry's, so the package name resolves to the source, not to a dist
  // that a clean build has not written yet.
  dts: { compilerOptions: { paths: { '@org/ws-server': ['./src/index.ts'] } } },
});
