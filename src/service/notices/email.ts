/**
 * Email delivery through the configured SMTP server (nodemailer). nodemailer is loaded on the
 * first message, not at start: it is ~40 modules, and every CLI command opens the services.
 */
import type { Transporter } from 'nodemailer';

export interface EmailSender {
  /** Resolves once the server accepted the message for at least one recipient. */
  send(to: readonly string[], message: { subject: string; text: string }): Promise<void>;
  close(): void;
}

/** A recipient problem no retry can fix. */
export class PermanentNoticeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentNoticeError';
  }
}

export function emailSender(o: { smtpUrl: string; from: string }): EmailSender {
  let transport: Promise<Transporter> | null = null;
  const connect = (): Promise<Transporter> => {
    transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        url: o.smtpUrl,
        // A stuck server must not hold a delivery past its lease (domain/notices.ts).
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      }),
    );
    return transport;
  };
  return {
    async send(to, message) {
      if (to.length === 0) {
        throw new PermanentNoticeError(
          'no recipient: neither an Administrator of the account nor the mapped entity has an email address',
        );
      }
      await (await connect()).sendMail({ from: o.from, to: [...to], ...message });
    },
    close: () => {
      // Nothing to close when no message was sent; a failed load has nothing open either.
      transport?.then((t) => t.close()).catch(() => undefined);
    },
  };
}
