/**
 * `certmint token`: gets an access token with a certificate-mapped client assertion, from a
 * certmint server (`--token-url`) or from real NetSuite (`--account`), through the same SDK an
 * application would use (certmint/client). The private key is read, used and never printed.
 */
import { Command, Option } from 'commander';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  CertmintClientError,
  createTokenClient,
  type TokenClientOptions,
} from '../../client/index.ts';
import { CliError } from '../errors.ts';
import { readFileCapped, write } from '../output.ts';

interface TokenOptions {
  tokenUrl?: string;
  account?: string;
  clientId: string;
  certificateId: string;
  key: string;
  scope: string;
  scopeFormat: 'array' | 'comma';
  alg?: AssertionAlg;
  decode?: boolean;
}

/** A PEM private key is a few KiB; anything much larger is not one. */
const MAX_KEY_BYTES = 64 * 1024;

/** `out` is where the result goes (stdout by default; tests capture it). */
export function tokenCommand(out: (text: string) => void = write): Command {
  return (
    new Command('token')
      .description('get an access token from certmint or NetSuite with a client assertion')
      .option(
        '--token-url <url>',
        'token endpoint, e.g. {issuer}/services/rest/auth/oauth2/v1/token',
      )
      .option(
        '--account <id>',
        "NetSuite account id: uses real NetSuite's https://<id>.suitetalk.api.netsuite.com/…/token",
      )
      .requiredOption('--client-id <id>', 'client id of the integration record (the assertion iss)')
      // A value that begins with "-" works both as --certificate-id=-abc and --certificate-id -abc
      // (NetSuite's own CLI got this wrong: suitecloud-sdk #881); a test holds us to it.
      .requiredOption('--certificate-id <kid>', 'certificate id of the mapping (the assertion kid)')
      .requiredOption('--key <file>', 'PEM private key of the mapped certificate')
      .option('--scope <list>', 'comma-separated scopes', 'restlets,rest_webservices')
      .addOption(
        new Option('--scope-format <format>', 'how scope is sent in the assertion')
          .choices(['array', 'comma'])
          .default('array'),
      )
      .addOption(
        new Option('--alg <alg>', 'assertion algorithm (default: from the key)').choices([
          ...ASSERTION_ALGS,
        ]),
      )
      .option('--decode', "also show the access token's header and claims")
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  certmint token --token-url http://127.0.0.1:8080/accounts/TSTDRV0000001/services/rest/auth/oauth2/v1/token \\\n' +
          '    --client-id <clientId> --certificate-id <certId> --key private.pem --decode\n' +
          '  certmint token --account 123456_SB1 --client-id <clientId> --certificate-id=<certId> \\\n' +
          '    --key private.pem --scope rest_webservices --json',
      )
      .action(async (opts: TokenOptions, cmd: Command) => {
        const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
        if ((opts.tokenUrl === undefined) === (opts.account === undefined)) {
          throw new CliError('give exactly one of --token-url and --account');
        }
        const privateKey = (await readFileCapped(opts.key, MAX_KEY_BYTES)).toString('utf8');
        const where =
          opts.tokenUrl !== undefined ? { tokenUrl: opts.tokenUrl } : { accountId: opts.account };
        const scopes = opts.scope
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        let response: Awaited<ReturnType<ReturnType<typeof createTokenClient>['getTokenResponse']>>;
        try {
          const client = createTokenClient({
            ...where,
            clientId: opts.clientId,
            certificateId: opts.certificateId,
            privateKey,
            scopes,
            scopeFormat: opts.scopeFormat,
            ...(opts.alg ? { alg: opts.alg } : {}),
          } as TokenClientOptions);
          response = await client.getTokenResponse();
        } catch (e) {
          // The SDK's messages are one line and already carry the OAuth error and the hint.
          if (e instanceof CertmintClientError) throw new CliError(e.message);
          throw e;
        }
        const decoded = opts.decode ? decode(response.access_token) : undefined;
        if (json) {
          out(JSON.stringify(decoded ? { ...response, decoded } : response, null, 2));
          return;
        }
        out(response.access_token);
        if (decoded) {
          out(`header: ${JSON.stringify(decoded.header, null, 2)}`);
          out(`claims: ${JSON.stringify(decoded.claims, null, 2)}`);
        }
      })
  );
}

function decode(token: string): { header: object; claims: object } {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    throw new CliError('the access token is not a JWT, so --decode cannot show it');
  }
}
