import { CLUSTER_HELP, ClusterDemoConfigError, startClusterDemo, takeClusterFlags, type ClusterFlags } from './cluster-demo';
import { createDemoApp } from './demo-app';
import { DemoConfigError, describeSettings, parseDemoConfig } from './demo-config';
import { describeListenError } from './listen-error';

const argv = process.argv.slice(2).filter((arg) => arg !== '--');
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`${describeSettings()}\n${CLUSTER_HELP}`);
  process.exit(0);
}

let config;
let cluster: ClusterFlags;
try {
  cluster = takeClusterFlags(argv, process.env);
  config = parseDemoConfig(cluster.rest, process.env);
} catch (error) {
  if (!(error instanceof DemoConfigError) && !(error instanceof ClusterDemoConfigError)) throw error;
  console.error(`demo: ${error.message}\n\n${describeSettings()}\n${CLUSTER_HELP}`);
  process.exit(2);
}

if (cluster.nodes > 1) {
  // Several job servers sharing Redis, workers publishing through it (see packages/server README, "Multiple nodes").
  const demo = await startClusterDemo({ config, nodes: cluster.nodes, redisUrl: cluster.redisUrl! }).catch((error: unknown) => {
    console.error(`demo: could not start the nodes: ${describeListenError(error, config.host, config.port)}`);
    process.exit(1);
  });
  console.log(`@org/ws demo running ${cluster.nodes} nodes on Redis: ${demo.urls.join('  ')}  (Ctrl-C stops them)`);
  const stopNodes = (signal: NodeJS.Signals): void => {
    console.log(`\ndemo: ${signal}, stopping every node…`);
    process.once(signal, () => process.exit(130));
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stopNodes);
  process.once('SIGTERM', stopNodes);
} else {
  const app = createDemoApp({ config });
  try {
    const server = await app.start();
    console.log(`@org/ws demo running at ${server.url}  (Ctrl-C stops it; --help lists the lifecycle flags)`);
  } catch (error) {
    console.error(`demo: ${describeListenError(error, config.host, config.port)}`);
    await app.close();
    process.exit(1);
  }

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`\ndemo: ${signal}, sending shutdown notices and stopping…`);
    // A second Ctrl-C does not wait for the graceful close.
    process.once(signal, () => process.exit(130));
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
