import { describe, expectTypeOf, it } from 'vitest';
import { createJobServer } from '../index';
import { expectNoLeaks, openSubscribedClients, runLeakChurn, startTestJobServer, type TestJobServer } from './index';

type Jobs = { [jobId: `export-${string}`]: { url: string } };

describe('the testing kit with a server whose job data is typed', () => {
  it('starts a typed test server and takes typed servers, its own or the application’s', async () => {
    const server = await startTestJobServer<Jobs>();
    expectTypeOf(server).toEqualTypeOf<TestJobServer<Jobs>>();
    expectTypeOf((await server.update('export-1', { status: 'completed', data: { url: '/1.csv' } })).data.url).toEqualTypeOf<string>();
    await openSubscribedClients(server, { count: 1, jobId: 'export-1' });
    await expectNoLeaks(server);
    await runLeakChurn(server);

    const application = createJobServer<Jobs>();
    await expectNoLeaks(application);
    await openSubscribedClients(application, { count: 1 });
  });
});
