#!/usr/bin/env node
// The `certmint` command: the compiled CLI in dist/ (built by `npm install` in a checkout
// through the `prepare` script, shipped as is in the package).
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv);
