import { describe, expect, it } from 'vitest';
import { startJobServer } from '../../client/test/support/job-server-resource';
import { installLeakCheck } from '../../client/test/support/leak-check';
import { logJobRequests } from './support/request-log';
import { importServerRender, REACT_VERSIONS } from './support/test-page-bundle';

installLeakCheck();

describe.each(REACT_VERSIONS)('server rendering with React %i', (major) => {
  it('renders the initial state of a job without connecting', async () => {
    const { server, url } = await startJobServer();
    const requests = logJobRequests(server);
    await server.update('ssr-1', { status: 'running', progress: 50 });
    const { reactVersion, renderJob } = await importServerRender(major);
    expect(reactVersion).toMatch(new RegExp(`^${major}\\.`));

    const { html, client } = renderJob(url, 'ssr-1');

    expect(html).toContain('data-status="none"');
    expect(html).toContain('data-progress=""');
    expect(html).toContain('data-connection="disconnected"');
    expect(html).toContain('data-badge="disconnected"');
    // The provider's client was made but opened nothing: no socket, so nothing keeps the process alive.
    expect(client?.state).toEqual({ status: 'disconnected', reason: 'not-started' });
    expect(server.stats().connections).toBe(0);
    expect(requests).toEqual([]);
  });
});
