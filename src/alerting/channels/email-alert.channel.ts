import { Injectable } from '@nestjs/common';
import { SmtpMailer } from '../../common/smtp-mailer';
import { AppConfig } from '../../config/app-config';
import { AlertChannel } from '../alert-channel';
import type { AlertView } from '../alert-view';
import { AlertRecipients } from './alert-recipients';

/** Titles quote device names and user agents: keep them on one line of reasonable length. */
function oneLine(text: string, max = 200): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function alertEmailText(alert: AlertView, accountUrl: string): string {
  return [
    'We noticed this on your account:',
    '',
    `  ${oneLine(alert.title)}`,
    `  When: ${alert.lastSeenAt}`,
    ...(alert.ip ? [`  From IP address: ${alert.ip}`] : []),
    '',
    'If this was you, there is nothing to do.',
    'If it was not, change your password and review your devices and sessions:',
    accountUrl,
    '',
  ].join('\n');
}

/**
 * Emails a user their own security alerts (new-device sign-in, refresh-token reuse, …) through
 * SMTP_URL. Registered only when SMTP_URL is set. Alerts about no account (a burst from one IP)
 * are for administrators and are skipped. Runs in the outbox relay, after commit: a failed send
 * is retried by the dispatcher; no request waits for it.
 */
@Injectable()
export class EmailAlertChannel extends AlertChannel {
  readonly name = 'email';
  private readonly mailer: SmtpMailer;
  private readonly accountUrl: string;

  constructor(
    private readonly recipients: AlertRecipients,
    config: AppConfig,
  ) {
    super();
    if (!config.mail.smtpUrl) throw new Error('EmailAlertChannel needs SMTP_URL');
    this.mailer = new SmtpMailer(config.mail.smtpUrl, config.mail.from);
    this.accountUrl = `${config.publicUrl}/account/security`;
  }

  async deliver(alert: AlertView): Promise<void> {
    if (!alert.userId) return;
    const to = await this.recipients.emailOf(alert.userId);
    if (!to) return;
    await this.mailer.send({
      to,
      subject: `Security alert: ${oneLine(alert.title, 120)}`,
      text: alertEmailText(alert, this.accountUrl),
    });
  }
}
