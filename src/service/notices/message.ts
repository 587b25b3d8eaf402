/**
 * What an expiry notice says, by email and by webhook: the account, application, entity, role,
 * certificate id, expiry date, and the exact commands that rotate the certificate.
 */
import { endpointOf } from '../../domain/endpoints.ts';

export interface NoticeFacts {
  accountId: string;
  certificateId: string;
  /** ms */
  validUntil: number;
  thresholdDays: number;
  daysLeft: number;
  application: { clientId: string; name: string; applicationId: string } | null;
  entity: { id: number; name: string | null };
  role: { id: number; name: string | null };
  /** The account's token endpoint on this server. */
  tokenUrl: string;
}

export const tokenUrlOf = (publicUrl: string, accountId: string): string =>
  endpointOf(publicUrl, accountId, 'token');

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const named = (name: string | null, id: number | string) =>
  name === null ? `${id}` : `${name} (id ${id})`;

/**
 * The one command that rotates with no downtime. `--certificate-id=` keeps an id that begins
 * with "-" from being read as an option.
 */
export function rotateCommand(f: NoticeFacts): string {
  return [
    'certmint cert rotate',
    `--token-url ${f.tokenUrl}`,
    `--client-id ${f.application?.clientId ?? '<client id>'}`,
    `--certificate-id=${f.certificateId}`,
    '--key private.pem',
    `--role ${f.role.id}`,
    `--entity ${f.entity.id}`,
  ].join(' ');
}

export function emailMessage(f: NoticeFacts): { subject: string; text: string } {
  const app = f.application;
  const subject = `Certificate expires in ${f.daysLeft} day${f.daysLeft === 1 ? '' : 's'}: ${
    app?.name ?? 'application'
  } / ${f.entity.name ?? `entity ${f.entity.id}`} (account ${f.accountId})`;
  const text = [
    `The certificate ${f.certificateId} of account ${f.accountId} expires on ${iso(f.validUntil)},`,
    `in ${f.daysLeft} day${f.daysLeft === 1 ? '' : 's'}. From then on, token requests signed with its key are refused.`,
    '',
    `Account:      ${f.accountId}`,
    `Application:  ${app ? `${app.name} (client id ${app.clientId})` : '(integration record not found)'}`,
    `Entity:       ${named(f.entity.name, f.entity.id)}`,
    `Role:         ${named(f.role.name, f.role.id)}`,
    `Certificate:  ${f.certificateId}`,
    `Expires:      ${iso(f.validUntil)}`,
    '',
    'Rotate it with no downtime: this makes a new key and certificate, uploads it, checks that it',
    'gets a token, and only then revokes the old certificate (private.pem is the current key;',
    'the new one replaces it, mode 0600):',
    '',
    `  ${rotateCommand(f)}`,
    '',
    "Applications using certmint/client can rotate themselves: createTokenClient({ …, autoRotate: { before: '30d', store } }).",
    '',
    'Or by hand: make a new certificate, map it, switch the application to it, revoke the old one:',
    '',
    '  certmint cert generate --alg ES256 --out public.pem --key-out private.pem',
    `  certmint mapping create --account ${f.accountId} --integration ${app?.clientId ?? '<client id>'} --entity ${f.entity.id} --role ${f.role.id} --certificate public.pem`,
    `  certmint mapping revoke --account ${f.accountId} --certificate-id=${f.certificateId}`,
    '',
    `You receive this notice ${f.thresholdDays} days before the certificate expires.`,
  ].join('\n');
  return { subject, text };
}

/** The webhook's JSON body. `id` is the same for every attempt: receivers deduplicate on it. */
export function webhookPayload(
  f: NoticeFacts,
  id: string,
  sentAt: number,
): Record<string, unknown> {
  return {
    id,
    type: 'certificate.expiring',
    created: iso(sentAt),
    account: f.accountId,
    certificate_id: f.certificateId,
    valid_until: iso(f.validUntil),
    days_left: f.daysLeft,
    threshold_days: f.thresholdDays,
    application: f.application
      ? {
          client_id: f.application.clientId,
          name: f.application.name,
          application_id: f.application.applicationId,
        }
      : null,
    entity: { id: f.entity.id, name: f.entity.name },
    role: { id: f.role.id, name: f.role.name },
    rotate_command: rotateCommand(f),
  };
}
