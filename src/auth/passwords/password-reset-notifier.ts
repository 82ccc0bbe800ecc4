import { Logger } from '@nestjs/common';

export interface PasswordResetMessage {
  userId: string;
  email: string;
  /** The secret to deliver to the user, and to nobody and nothing else (never log it). */
  token: string;
  expiresAt: Date;
}

/**
 * Delivers password reset tokens (the notification port). Provide a real channel (email, SMS)
 * through AuthModule options; the default only logs a redacted notice, for development.
 */
export abstract class PasswordResetNotifier {
  abstract send(message: PasswordResetMessage): Promise<void>;
}

export class LoggingPasswordResetNotifier extends PasswordResetNotifier {
  private readonly logger = new Logger('PasswordReset');

  async send(message: PasswordResetMessage): Promise<void> {
    const [local, domain] = message.email.split('@');
    const redacted = `${local.slice(0, 1)}***@${domain ?? ''}`;
    this.logger.log(
      `password reset requested for ${redacted} (user ${message.userId}); token withheld, valid until ${message.expiresAt.toISOString()}. Configure a PasswordResetNotifier to deliver it.`,
    );
  }
}
