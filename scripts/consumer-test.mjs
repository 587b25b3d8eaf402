#!/usr/bin/env node
// The package as a consumer gets it: `npm pack`, then `npm install <tarball>` into a fresh
// temporary project that has no TypeScript loader, and there
//   1. the installed `certmint` bin runs `--version` and `cert generate`;
//   2. `certmint serve` runs on a free port with a new store, and the installed CLI sets up an
//      integration, entity, role and certificate mapping;
//   3. plain `node` imports `certmint/client`, gets a token from that server and calls whoami;
//   4. a consumer .ts file using the SDK type-checks with `tsc --module nodenext` (TypeScript
//      is installed into the temporary project for this step only).
// Any failing step stops the run with its output and exit code 1. Run by .ci/run;
// `npm run test:consumer` by hand (the temporary project is kept when a step fails).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const work = join(tmpdir(), `certmint-consumer-${process.pid}-${Date.now().toString(36)}`);
const project = join(work, 'consumer');
const started = Date.now();
let server = null;

function fail(step, detail) {
  console.error(
    `\nconsumer test FAILED at "${step}"\n${detail}\n(temporary project kept: ${work})`,
  );
  if (server && server.exitCode === null) server.kill('SIGKILL');
  process.exit(1);
}

/** Runs a command to completion; any non-zero exit fails the whole test. */
function run(step, command, args, { cwd = project, env = {} } = {}) {
  const t0 = Date.now();
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    // No TypeScript loader, no settings from the caller's shell: a clean consumer.
    env: { ...process.env, NODE_OPTIONS: '', CERTMINT_DB: '', CERTMINT_SECRET: '', ...env },
    timeout: 300_000,
  });
  console.log(`# ${step} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (r.status !== 0) {
    fail(
      step,
      `$ ${command} ${args.join(' ')}\nexit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

function check(step, ok, detail) {
  if (!ok) fail(step, detail);
}

const certmint = join(project, 'node_modules', '.bin', 'certmint');
const cli = (step, ...args) => run(step, certmint, args);
const cliJson = (step, ...args) => JSON.parse(cli(step, '--json', ...args));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the installed `certmint serve`; resolves once it listens (60 s at most). */
function startServer(port) {
  console.log('# certmint serve (installed bin, fresh store)');
  server = spawn(certmint, ['serve', '--port', String(port), '--log-level', 'error'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', CERTMINT_DB: '', CERTMINT_SECRET: '' },
  });
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
  });
  server.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => {
    const deadline = Date.now() + 60_000;
    const poll = () => {
      if (out.includes('issuer of an account')) resolve(out);
      else if (server.exitCode !== null)
        fail('certmint serve', `exited ${server.exitCode}\n${out}`);
      else if (Date.now() > deadline) fail('certmint serve', `did not listen within 60 s\n${out}`);
      else setTimeout(poll, 50);
    };
    poll();
  });
}

mkdirSync(project, { recursive: true });
const packed = JSON.parse(
  run('npm pack', 'npm', ['pack', '--json', '--pack-destination', work], { cwd: root }),
);
const tarball = join(work, packed[0].filename);

writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify({ name: 'certmint-consumer', private: true, type: 'module' }, null, 2)}\n`,
);
run('npm install <tarball>', 'npm', [
  'install',
  '--no-audit',
  '--no-fund',
  '--loglevel=error',
  tarball,
]);
for (const loader of ['tsx', 'ts-node', 'typescript', '@swc-node/register']) {
  check(
    'no TypeScript loader',
    !existsSync(join(project, 'node_modules', loader)),
    `${loader} was installed`,
  );
}

// 1. The bin.
const shown = cli('certmint --version', '--version').trim();
check('certmint --version', shown === version, `printed "${shown}", package.json says ${version}`);
cli(
  'certmint cert generate',
  'cert',
  'generate',
  '--alg',
  'ES256',
  '--out',
  'public.pem',
  '--key-out',
  'private.pem',
);
const keyMode = statSync(join(project, 'private.pem')).mode & 0o777;
check('cert generate: key mode', keyMode === 0o600, `private.pem has mode ${keyMode.toString(8)}`);

// 2. A server, and its records set up with the installed CLI.
const port = await freePort();
const banner = await startServer(port);
check(
  'serve prints the store',
  banner.includes(`store: ${join(project, '.certmint', 'certmint.db')}`),
  banner,
);
const account = 'TSTDRV0000001';
const role = cliJson(
  'role create',
  'role',
  'create',
  '--account',
  account,
  '--name',
  'M2M',
  '--permission',
  'oauth2_access_token_login',
).id;
const entity = cliJson(
  'entity create',
  'entity',
  'create',
  '--account',
  account,
  '--name',
  'svc-consumer',
).id;
cli(
  'role assign',
  'role',
  'assign',
  '--account',
  account,
  '--role',
  String(role),
  '--entity',
  String(entity),
);
const { clientId } = cliJson(
  'integration create',
  'integration',
  'create',
  '--account',
  account,
  '--name',
  'Consumer',
  '--m2m',
  '--scope',
  'restlets,rest_webservices',
);
const { certificateId } = cliJson(
  'mapping create',
  'mapping',
  'create',
  '--account',
  account,
  '--integration',
  clientId,
  '--entity',
  String(entity),
  '--role',
  String(role),
  '--certificate',
  'public.pem',
);

// 3. Plain node, the SDK by package name.
const base = `http://127.0.0.1:${port}/accounts/${account}`;
writeFileSync(
  join(project, 'get-token.mjs'),
  `import { readFileSync } from 'node:fs';
import { createTokenClient } from 'certmint/client';

const [base, clientId, certificateId] = process.argv.slice(2);
const client = createTokenClient({
  tokenUrl: base + '/services/rest/auth/oauth2/v1/token',
  clientId,
  certificateId,
  privateKey: readFileSync('private.pem', 'utf8'),
  scopes: ['restlets', 'rest_webservices'],
});
const token = await client.getToken();
const res = await client.fetch(base + '/services/rest/whoami');
console.log(JSON.stringify({ token, status: res.status, whoami: await res.json() }));
`,
);
const got = JSON.parse(
  run('node get-token.mjs (certmint/client)', process.execPath, [
    'get-token.mjs',
    base,
    clientId,
    certificateId,
  ]),
);
check('token', /^[\w-]+\.[\w-]+\.[\w-]+$/.test(got.token), `not a JWT: ${got.token}`);
check('whoami', got.status === 200, `whoami answered ${got.status}: ${JSON.stringify(got.whoami)}`);

// 4. Types: a consumer's TypeScript against the installed declarations.
run('npm install typescript (type-check step only)', 'npm', [
  'install',
  '--no-save',
  '--no-audit',
  '--no-fund',
  '--loglevel=error',
  'typescript@5.9',
  '@types/node@20',
]);
writeFileSync(
  join(project, 'consumer.ts'),
  `import {
  CertmintClientError,
  createTokenClient,
  createTokenVerifier,
  type TokenClient,
  type TokenClientOptions,
  type VerifiedToken,
} from 'certmint/client';

const options: TokenClientOptions = {
  tokenUrl: 'http://127.0.0.1:8080/accounts/TSTDRV0000001/services/rest/auth/oauth2/v1/token',
  clientId: 'client id',
  certificateId: 'certificate id',
  privateKey: '-----BEGIN PRIVATE KEY-----',
  scopes: ['restlets'],
};
const client: TokenClient = createTokenClient(options);

export async function token(): Promise<string> {
  try {
    return await client.getToken();
  } catch (e) {
    if (e instanceof CertmintClientError) return e.message;
    throw e;
  }
}

const verifier = createTokenVerifier({ issuer: 'http://127.0.0.1:8080/accounts/TSTDRV0000001' });
export const subject = async (jwt: string): Promise<VerifiedToken> => verifier.verify(jwt);

// The declarations are real types, not \`any\`: a wrong option must not type-check.
// @ts-expect-error scopes is a list of strings
createTokenClient({ ...options, scopes: 42 });
`,
);
run('tsc --module nodenext (consumer.ts)', process.execPath, [
  join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
  '--module',
  'nodenext',
  '--moduleResolution',
  'nodenext',
  '--target',
  'es2022',
  '--strict',
  '--noEmit',
  '--types',
  'node',
  'consumer.ts',
]);

// The server stops cleanly on SIGTERM.
const code = await new Promise((resolve) => {
  server.once('exit', (c) => resolve(c));
  server.kill('SIGTERM');
});
check('serve stops on SIGTERM', code === 0, `exit ${code}`);

rmSync(work, { recursive: true, force: true });
console.log(`\nconsumer test: OK (${((Date.now() - started) / 1000).toFixed(1)} s)`);
