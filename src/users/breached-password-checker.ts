/**
 * The extension point for a breached-password service (NIST SP 800-63B §3.1.1.2: refuse
 * passwords known from breach corpora). The password policy consults it after its own, local
 * rules pass. The default asks no one. An implementation might query Have I Been Pwned's range
 * API with k-anonymity: send the first 5 hex digits of the SHA-1 of the NFKC password, compare
 * the returned suffixes locally, so the password (and its full hash) never leaves the process.
 */
export abstract class BreachedPasswordChecker {
  /**
   * True when the password appears in a breach corpus. Receives the password NFKC-normalised,
   * exactly as it would be hashed. A rejection is treated as "unknown": registration and
   * password changes go on when the service is down (availability over this one check).
   */
  abstract isBreached(password: string): Promise<boolean>;
}

/** The default: no breached-password service. */
export class NoBreachedPasswordChecker extends BreachedPasswordChecker {
  isBreached(): Promise<boolean> {
    return Promise.resolve(false);
  }
}
