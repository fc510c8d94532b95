import { createDemoApp } from './demo-app';
import { DemoConfigError, describeSettings, parseDemoConfig } from './demo-config';

const argv = process.argv.slice(2).filter((arg) => arg !== '--');
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(describeSettings());
  process.exit(0);
}

let config;
try {
  config = parseDemoConfig(argv, process.env);
} catch (error) {
  if (!(error instanceof DemoConfigError)) throw error;
  console.error(`demo: ${error.message}\n\n${describeSettings()}`);
  process.exit(2);
}

const app = createDemoApp({ config });
try {
  const server = await app.start();
  console.log(`@org/ws demo running at ${server.url}  (Ctrl-C stops it; --help lists the lifecycle flags)`);
} catch (error) {
  console.error(`demo: could not start on ${config.host}:${config.port}:`, error instanceof Error ? error.message : error);
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
