import { packageBuild } from '../../tsup.shared';

// Two entries: the package root, and `status` (job statuses and `isTerminal`) for code that must not load zod.
export default packageBuild({ entry: ['src/index.ts', 'src/status.ts'], onSuccess: 'node scripts/write-asyncapi.mjs' });
