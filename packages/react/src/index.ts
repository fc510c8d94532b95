export { JobClientProvider } from './job-client-provider';
export type { JobClientProviderProps } from './job-client-provider';
export { useJobClient } from './job-client-context';
export { useJob } from './use-job';
export type { UseJobResult } from './use-job';
export { useJobClientState } from './use-job-client-state';
export type { JobView } from './job-view';
