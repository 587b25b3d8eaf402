/**
 * A real SMTP server in the test process (smtp-server, the nodemailer project's own), on
 * 127.0.0.1: it receives every message the notices send, decodes what a test checks (envelope,
 * headers, text body), and can be told to refuse the next messages the way a mail server does
 * (a 451 "try again later" after DATA).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  /** Envelope recipients (RCPT TO), in order. */
  to: string[];
  headers: Map<string, string>;
  subject: string;
  /** The text body, transfer encoding undone. */
  text: string;
  raw: string;
}

/** RFC 2045 §6.7 quoted-printable: soft line breaks and =XX octets. */
function decodeQuotedPrintable(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const body = raw.slice(split + 4).replace(/\r\n$/, '');
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  const text = (
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body
  ).replace(/\r\n/g, '\n');
  return { from, to, headers, subject: headers.get('subject') ?? '', text, raw };
}

export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private refusals = 0;
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      // Plain SMTP on loopback: no STARTTLS to offer, no login to ask for.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (!sink) return callback(new Error('not ready'));
          if (sink.refusals > 0) {
            sink.refusals -= 1;
            const err = Object.assign(new Error('mailbox busy, try again later'), {
              responseCode: 451,
            });
            return callback(err);
          }
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const to = session.envelope.rcptTo.map((r) => r.address);
          sink.messages.push(parse(Buffer.concat(chunks).toString('utf8'), from, to));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new SmtpSink(server, (server.server.address() as AddressInfo).port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `n` messages are refused with 451. */
  refuseNext(n: number): void {
    this.refusals += n;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
