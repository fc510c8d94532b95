// One scenario against one server: a fresh server process and fresh load-client processes, always
// torn down afterwards so that scenarios and servers never see each other's leftovers.
import { startLoadClients } from './load-clients.mjs';
import { startServerUnderTest } from './server-under-test.mjs';

/** Runs `scenario({ server, clients })` against a fresh `target` server and `processes` load clients. */
export async function withScenarioSession({ target, targetOptions, processes }, scenario) {
  const server = await startServerUnderTest(target, targetOptions);
  let clients;
  try {
    clients = await startLoadClients(processes);
    return await scenario({ server, clients });
  } finally {
    await clients?.stop();
    await server.request('close').catch(() => undefined);
    await server.stop();
  }
}
