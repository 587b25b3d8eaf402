/** Email delivery through the configured SMTP server (nodemailer). */
import { createTransport } from 'nodemailer';

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
  const transport = createTransport({
    url: o.smtpUrl,
    // A stuck server must not hold a delivery past its lease (domain/notices.ts).
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return {
    async send(to, message) {
      if (to.length === 0) {
        throw new PermanentNoticeError(
          'no recipient: neither an Administrator of the account nor the mapped entity has an email address',
        );
      }
      await transport.sendMail({ from: o.from, to: [...to], ...message });
    },
    close: () => transport.close(),
  };
}
