/**
 * The `certmint` command. Builds the commander program, runs it, and turns every failure into
 * ONE line on stderr: `certmint: <message>`. Exit codes: 0 success, 1 refused or failed,
 * 2 usage error (unknown option, missing argument). A user mistake never prints a stack trace;
 * an unexpected error prints its message, and its stack only with --debug or CERTMINT_DEBUG=1.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { cliMessage, isDomainError } from '../domain/errors.ts';
import { protectDashIds } from './dash-ids.ts';
import { CliError } from './errors.ts';
import { type CliIo, io, withIo } from './io.ts';
import { DEFAULT_DB, debugEnabled } from './settings.ts';

type Loader = () => Promise<Command>;

/**
 * Every subcommand, in help order: its name and a loader returning a commander Command. Add new
 * ones here (e.g. token). Only the command named on the command line is imported, so
 * `certmint cert …` does not load the database drivers or the HTTP server and starts fast;
 * root `--help` (or an unknown command) loads them all. Record commands read `--db`/`--json`
 * from the root via `globalOptions(cmd)` / `withServices(cmd, …)` in ./output.ts.
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: Loader]> = [
  ['serve', async () => (await import('./commands/serve.ts')).serveCommand()],
  ['init', async () => (await import('./commands/init.ts')).initCommand()],
  ['quickstart', async () => (await import('./commands/quickstart.ts')).quickstartCommand()],
  ['account', async () => (await import('./commands/account.ts')).accountCommand()],
  ['entity', async () => (await import('./commands/entity.ts')).entityCommand()],
  ['role', async () => (await import('./commands/role.ts')).roleCommand()],
  ['integration', async () => (await import('./commands/integration.ts')).integrationCommand()],
  ['mapping', async () => (await import('./commands/mapping.ts')).mappingCommand()],
  ['audit', async () => (await import('./commands/audit.ts')).auditCommand()],
  ['notices', async () => (await import('./commands/notices.ts')).noticesCommand()],
  ['keys', async () => (await import('./commands/keys.ts')).keysCommand()],
  ['cert', async () => (await import('./commands/cert.ts')).certCommand()],
  ['token', async () => (await import('./commands/token.ts')).tokenCommand()],
];

/** Root options that take a value: skipped when looking for the command name. */
const ROOT_OPTIONS_WITH_VALUE = new Set(['--db']);

/** The subcommand named in `args` (process.argv without node and script), if any. */
export function commandNameIn(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return null;
    if (ROOT_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) return arg;
  }
  return null;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

const oneLine = (text: string): string =>
  text
    .replace(/^error:\s*/i, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join(' ');

/** Commander's output goes to the run's io; its errors are printed as our one line. */
const output = {
  writeOut: (str: string) => io().stdout(str),
  writeErr: (str: string) => io().stderr(str),
  outputError: (str: string, write: (s: string) => void) => write(`certmint: ${oneLine(str)}\n`),
};

/** addCommand() does not copy settings to subcommands: apply them to the whole tree. */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput(output);
  cmd.configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  for (const sub of cmd.commands) configure(sub);
}

/** The program with the commands `args` needs: the one it names, or all of them (help, typos). */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const program = new Command('certmint')
    .description(
      "OAuth 2.0 client credentials (M2M) authorization server modelled on NetSuite's certificate-mapped setup",
    )
    .version(version(), '-V, --version', 'print the version')
    .option(
      '--db <path|url>',
      `SQLite file or postgres:// URL (default: $CERTMINT_DB, else ${DEFAULT_DB})`,
    )
    .option('--json', 'print machine-readable JSON')
    .option('--debug', 'print the stack of an unexpected error (or CERTMINT_DEBUG=1)')
    .addHelpText(
      'after',
      '\nStart here:\n  certmint serve            run the server (creates the store, a first account and administrator)\n' +
        '  certmint init             create the store without starting the server\n' +
        '  certmint quickstart       set up an integration, certificate and mapping, get a token\n' +
        '  certmint <command> --help details and examples for a command',
    );
  const named = commandNameIn(args);
  const wanted = COMMANDS.filter(([name]) => name === named);
  // `certmint --version` needs no command at all.
  const versionOnly = named === null && args.some((a) => a === '-V' || a === '--version');
  if (!versionOnly) {
    for (const [, load] of wanted.length > 0 ? wanted : COMMANDS) program.addCommand(await load());
  }
  configure(program);
  return program;
}

function report(message: string): void {
  io().stderr(`certmint: ${oneLine(message)}\n`);
}

/**
 * Runs the CLI with `argv` (as process.argv: node, script, …args); resolves to the exit code.
 * `overrides` replace parts of the real process (output, stdin, environment, working
 * directory) for this run only: tests run commands in-process and capture what they print.
 */
export function runCli(argv: readonly string[], overrides: Partial<CliIo> = {}): Promise<number> {
  return withIo(overrides, () => run(argv));
}

async function run(argv: readonly string[]): Promise<number> {
  let program: Command | undefined;
  try {
    const args = argv.slice(2);
    program = await buildProgram(args);
    await program.parseAsync(protectDashIds(program, args), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; commander has already printed everything else.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isDomainError(e)) {
      report(cliMessage(e));
      return 1;
    }
    if (e instanceof CliError) {
      report(e.message);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    report(err.message || err.name);
    const debug = program?.opts<{ debug?: boolean }>().debug === true;
    if (debugEnabled(debug) && err.stack) io().stderr(`${err.stack}\n`);
    return 1;
  }
}

/** True when this module is the program node started (`node dist/cli/main.js …`). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runCli(process.argv);
}
