import { packageBuild } from '../../tsup.shared';

export default packageBuild({ onSuccess: 'node scripts/write-asyncapi.mjs' });
