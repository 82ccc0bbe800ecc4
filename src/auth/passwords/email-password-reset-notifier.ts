import { Logger } from '@nestjs/common';
import type { Clock } from '../../common/clock';
import { SmtpMailer } from '../../common/smtp-mailer';
import type { AppConfig } from '../../config/app-config';
import {
  LoggingPasswordResetNotifier,
  PasswordResetNotifier,
  type PasswordResetMessage,
} from './password-reset-notifier';

/**
 * The link in the email: PASSWORD_RESET_URL with the token in the fragment. Browsers never send
 * a fragment to a server, so the token stays out of access logs and Referer headers; the page
 * reads it from location.hash and posts it to POST /auth/password/reset.
 */
export function resetLink(passwordResetUrl: string, token: string): string {
  return `${passwordResetUrl}#token=${encodeURIComponent(token)}`;
}

export function resetEmailText(link: string, expiresAt: Date, now: Date): string {
  const minutes = Math.max(1, Math.round((expiresAt.getTime() - now.getTime()) / 60_000));
  return [
    'Someone (hopefully you) asked to reset the password of your account.',
    '',
    'To choose a new password, open this link:',
    '',
    link,
    '',
    `The link works once and expires in ${minutes} minutes (${expiresAt.toISOString()}).`,
    'Setting a new password signs you out everywhere.',
    '',
    'If you did not ask for this, ignore this email: your password stays as it is.',
    '',
  ].join('\n');
}

/** Delivers reset tokens by email (SMTP_URL). */
export class EmailPasswordResetNotifier extends PasswordResetNotifier {
  constructor(
    private readonly mailer: SmtpMailer,
    private readonly passwordResetUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  async send(message: PasswordResetMessage): Promise<void> {
    const link = resetLink(this.passwordResetUrl, message.token);
    await this.mailer.send({
      to: message.email,
      subject: 'Reset your password',
      text: resetEmailText(link, message.expiresAt, this.now()),
    });
  }
}

/**
 * The notifier when the application supplies none: email when SMTP_URL is set, otherwise the
 * redacted log line, with one warning at start-up so an operator notices that resets go nowhere.
 */
export function defaultPasswordResetNotifier(
  config: AppConfig,
  clock: Clock,
): PasswordResetNotifier {
  if (config.mail.smtpUrl) {
    return new EmailPasswordResetNotifier(
      new SmtpMailer(config.mail.smtpUrl, config.mail.from),
      config.mail.passwordResetUrl,
      () => clock.now(),
    );
  }
  new Logger('PasswordReset').warn(
    'SMTP_URL is not set: password reset emails are not delivered (set SMTP_URL, or provide a PasswordResetNotifier)',
  );
  return new LoggingPasswordResetNotifier();
}
