import type { FieldError } from '../common/app.exception';
import { BreachedPasswordChecker, NoBreachedPasswordChecker } from './breached-password-checker';
import { isCommonPassword } from './common-password-list';

export interface PasswordContext {
  email: string;
  displayName?: string | null;
}

/**
 * Decides whether a new password is acceptable. An extension point: provide your own subclass
 * (e.g. a breached-password API check) through AuthModule.forRoot({ passwordPolicy }).
 */
export abstract class PasswordPolicy {
  /** Consulted (asynchronously) once check() has passed: see BreachedPasswordChecker. */
  constructor(
    protected readonly breachedPasswords: BreachedPasswordChecker = new NoBreachedPasswordChecker(),
  ) {}

  /** Returns the problems with the password; empty means acceptable. */
  abstract check(password: string, context: PasswordContext): string[];

  async toFieldErrors(
    field: string,
    password: string,
    context: PasswordContext,
  ): Promise<FieldError[]> {
    const messages = this.check(password, context);
    if (messages.length === 0 && (await this.isBreached(password))) {
      messages.push('has appeared in a data breach; choose another password');
    }
    return messages.length > 0 ? [{ field, messages }] : [];
  }

  private async isBreached(password: string): Promise<boolean> {
    try {
      return await this.breachedPasswords.isBreached(password.normalize('NFKC'));
    } catch {
      return false;
    }
  }
}
const SERVICE_WORDS = ['tessera'];

/** NIST SP 800-63B: length bounds, no composition rules, refuse common and context-specific words. */
export class NistPasswordPolicy extends PasswordPolicy {
  constructor(
    private readonly minLength = 8,
    private readonly maxLength = 128,
    breachedPasswords?: BreachedPasswordChecker,
  ) {
    super(breachedPasswords);
  }

  check(password: string, context: PasswordContext): string[] {
    const normalized = password.normalize('NFKC');
    const length = [...normalized].length;
    if (length < this.minLength) return [`must be at least ${this.minLength} characters`];
    if (length > this.maxLength) return [`must be at most ${this.maxLength} characters`];
    const lower = normalized.toLowerCase();
    if (isCommonPassword(normalized)) return ['is too common; choose a less predictable password'];
    const contextWords = [
      ...SERVICE_WORDS,
      context.email.split('@')[0]?.toLowerCase() ?? '',
      context.email.toLowerCase(),
      context.displayName?.toLowerCase().trim() ?? '',
    ].filter((word) => word.length >= 4);
    // Only refuse when the context word is most of the password ("alice2024" for alice@…).
    if (contextWords.some((word) => lower.includes(word) && word.length * 2 >= lower.length)) {
      return ['must not be based on your email, name or the service name'];
    }
    if (/^(.)\1+$/u.test(normalized)) return ['must not be a single repeated character'];
    return [];
  }
}
