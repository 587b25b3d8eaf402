#!/usr/bin/env node
// Launcher for the `certmint` command: loads tsx's ESM hooks so the TypeScript sources run
// directly (no build step), then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv);
