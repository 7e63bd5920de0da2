#!/usr/bin/env node
import { runProviderSimCli } from './run-cli.js';

const sim = await runProviderSimCli(process.argv.slice(2));
if (sim) {
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
