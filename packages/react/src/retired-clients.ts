import type { JobClient } from '@org/ws-client';

/**
 * Clients a `JobClientProvider` created and then closed because its tree let go of them (unmounted, or hidden by
 * `<Activity>`). Their `CLOSED` is the provider's doing, not the application's: a tree shown again gets a new client
 * from the provider, so a `useJob` still holding a retired client waits for it instead of showing `CLOSED`.
 */
const retired = new WeakSet<JobClient>();

/** Marks `client` as closed by its provider; call it before closing the client. */
export function retireClient(client: JobClient): void {
  retired.add(client);
}

/** Whether the provider that created `client` closed it. */
export function isRetired(client: JobClient): boolean {
  return retired.has(client);
}
