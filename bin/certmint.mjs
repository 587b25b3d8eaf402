#!/usr/bin/env node
// Launcher for the `certmint` command: loads tsx's ESM hooks so the TypeScript sources run
// directly (no build step), then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
// `certmint … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv);
