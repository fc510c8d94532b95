import type { JobClient } from '@org/ws-client';
import { createContext, useContext } from 'react';

/** The client a `JobClientProvider` gives its tree; `undefined` outside any provider. */
export const JobClientContext = createContext<JobClient | undefined>(undefined);

/** The nearest `JobClientProvider`'s client; throws when there is none. */
export function useJobClient(): JobClient {
  const client = useContext(JobClientContext);
  if (!client) throw new Error('@org/ws-react: useJob, useJobClient and useJobClientState need a <JobClientProvider> above them');
  return client;
}
