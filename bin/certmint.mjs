#!/usr/bin/env node
// The `certmint` command: the compiled CLI in dist/ (built by `npm install` in a checkout
// through the `prepare` script, shipped as is in the package).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js'))
    throw e;
  process.stderr.write(
    'certmint: dist/ is missing: run `npm install` (or `npm run build`) in the checkout first\n',
  );
  process.exit(1);
}
process.exitCode = await cli.runCli(process.argv);
