/**
 * Certificate ids are base64url SHA-256 digests: 43 characters, and about one in 64 begins
 * with "-". Commander reads such a word as options: "-Vtj5…" is `-V` (print the version) plus
 * more short flags, and the root parses its own options anywhere on the line, even after the
 * subcommand. NetSuite's own CLI trips on the same ids (suitecloud-sdk #881).
 *
 * So before parsing, every 43-character base64url word that begins with "-" is taken for what it
 * is, a certificate id, and made unmistakable: attached to the option that takes it
 * (`--certificate-id=-Vtj5…`), or moved after "--" when it is an operand. No option has a name
 * that long, so nothing a user meant as an option is ever rewritten.
 */
import type { Command, Option } from 'commander';

export const DASH_CERTIFICATE_ID = /^-[A-Za-z0-9_-]{42}$/;

/** The option `flag` (`--name` or `-n`) of `cmd` or one of its ancestors. */
function findOption(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c !== null; c = c.parent) {
    const found = c.options.find((o) => o.long === flag || o.short === flag);
    if (found) return found;
  }
  return undefined;
}

/** `args` (after node and the script) with every dash-leading certificate id protected. */
export function protectDashIds(program: Command, args: readonly string[]): string[] {
  const end = args.indexOf('--');
  const head = end === -1 ? args : args.slice(0, end);
  const rest = end === -1 ? [] : args.slice(end + 1);
  const out: string[] = [];
  const operands: string[] = [];
  let cmd = program;
  for (let i = 0; i < head.length; i++) {
    const arg = head[i] ?? '';
    if (DASH_CERTIFICATE_ID.test(arg)) {
      operands.push(arg);
      continue;
    }
    if (arg.startsWith('-')) {
      const option = arg.includes('=') ? undefined : findOption(cmd, arg);
      const value = head[i + 1];
      if (option?.required && value !== undefined) {
        // The option's value, attached so that no parser reads it as flags.
        i++;
        if (DASH_CERTIFICATE_ID.test(value)) {
          out.push(arg.startsWith('--') ? `${arg}=${value}` : `${arg}${value}`);
        } else out.push(arg, value);
      } else out.push(arg);
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub) cmd = sub;
    out.push(arg);
  }
  return operands.length === 0 && end === -1 ? out : [...out, '--', ...operands, ...rest];
}
