import { createTransport } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Short enough that a dead mail server fails a send within the alert channel's budget. */
const TIMEOUTS = { connectionTimeout: 4_000, greetingTimeout: 4_000, socketTimeout: 15_000 };

/**
 * Sends plain-text email over SMTP (SMTP_URL, MAIL_FROM). One connection per message: mail here
 * is rare (resets, alerts), so a pool would only hold idle sockets open.
 */
export class SmtpMailer {
  private readonly transport: ReturnType<typeof createTransport>;

  constructor(smtpUrl: string, from: string) {
    this.transport = createTransport({ url: smtpUrl, ...TIMEOUTS }, { from });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ ...message, disableUrlAccess: true, disableFileAccess: true });
  }
}
