import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppException } from '../../common/app.exception';
import { clientNetworkKey } from '../../common/client-network';
import { Clock } from '../../common/clock';
import { SecretBox } from '../../common/secret-box';
import { AppConfig } from '../../config/app-config';
import { TransactionRunner, type Tx } from '../../events/transaction-runner.service';
import { LoginProtectionRepository, type ProtectionCounter } from './login-protection.repository';

/**
 * The counters read once at the start of a login, covering every scope the attempt may be
 * judged by or clear (network, candidate device, account), so that the check and the success
 * need no further read.
 */
export interface CounterSnapshot {
  readonly account: string;
  readonly rows: readonly ProtectionCounter[];
}

/** The first delay once a counter reaches its threshold; it doubles with each further failure. */
export const FIRST_DELAY_MS = 1000;
const ACCOUNT_SCOPE = 'account';

/**
 * Whose failures a sign-in attempt is judged by. `local` is the device's own counter for a known
 * device (one that signed in to this account before), otherwise the client network's.
 */
export interface LoginProtectionKey {
  /** The normalised email, whether or not an account exists. */
  readonly account: string;
  /** `net:<IPv4 /24 or IPv6 /64>` of the client. */
  readonly network: string;
  /** `dev:<hash>` when the attempt comes from a known device of this account. */
  readonly device?: string;
}

/**
 * Failed-login protection (contract v2; design in docs/security.md). Failures are counted per
 * account and client network, per account and known device, and per account overall. A
 * counter past its threshold delays the next attempt from where it counts (429 rate_limited +
 * Retry-After), the delay doubling per further failure up to LOCKOUT_DURATION. A known device
 * is judged only by its own counter, so nobody else's failures hold it; unknown devices are
 * judged by their network's counter and, past LOGIN_ACCOUNT_MAX_FAILURES, the account's.
 * Counters decay after 2 × LOCKOUT_DURATION without failures. Nothing here locks an account.
 */
@Injectable()
export class LoginProtectionService {
  constructor(
    private readonly counters: LoginProtectionRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * A keyed hash of a normalised email, for audit records about no account: records about the
   * same email correlate, and a copy of the audit cannot be matched against a list of emails.
   */
  emailMac(emailNormalized: string): string {
    return this.secrets.mac('login-email', emailNormalized);
  }

  /** The key of an attempt; `knownClientDeviceId` only for a device known to this account. */
  keyFor(emailNormalized: string, ip: string | undefined, knownClientDeviceId?: string) {
    const key: LoginProtectionKey = {
      account: emailNormalized,
      network: `net:${clientNetworkKey(ip)}`.slice(0, 100),
      device: knownClientDeviceId
        ? `dev:${createHash('sha256').update(knownClientDeviceId).digest('base64url')}`
        : undefined,
    };
    return key;
  }

  /**
   * Reads, in one statement, every counter a login from this network and (candidate) device may
   * be judged by or clear. `probe` is keyFor(…) with the client's device id whether or not the
   * device turns out to be known.
   */
  async snapshot(probe: LoginProtectionKey): Promise<CounterSnapshot> {
    const scopes = [probe.network, ACCOUNT_SCOPE, ...(probe.device ? [probe.device] : [])];
    return { account: probe.account, rows: await this.counters.counters(probe.account, scopes) };
  }

  /** Throws 429 rate_limited (Retry-After) while this attempt must wait. One query. */
  async assertAllowed(key: LoginProtectionKey): Promise<void> {
    this.assertAllowedBy(key, await this.snapshot(key));
  }

  /** assertAllowed on counters read before (a snapshot covering the key's scopes). */
  assertAllowedBy(key: LoginProtectionKey, snapshot: CounterSnapshot): void {
    const judgedBy = new Set([this.local(key), ACCOUNT_SCOPE]);
    const nowMs = this.clock.nowMs();
    let waitMs = 0;
    for (const row of snapshot.rows) {
      if (!judgedBy.has(row.scope)) continue;
      if (row.scope === ACCOUNT_SCOPE && key.device) continue;
      const threshold =
        row.scope === ACCOUNT_SCOPE
          ? this.config.login.accountMaxFailures
          : this.config.login.maxFailures;
      const since = nowMs - row.lastFailureAt.getTime();
      if (since >= this.decayMs) continue;
      waitMs = Math.max(waitMs, this.delayMs(row.failures, threshold) - since);
    }
    if (waitMs > 0) {
      throw new AppException('rate_limited', 'Too many failed sign-in attempts; try again later', {
        retryAfterSeconds: waitMs / 1000,
      });
    }
  }

  /**
   * Counts a failed sign-in (or a failed second factor, or a wrong current password) like a
   * failed login: one upsert of the local and the account counter. Runs in `tx` when given.
   * Returns the local counter's new value.
   */
  async recordFailure(key: LoginProtectionKey, tx?: Tx): Promise<number> {
    const count = async (inTx: Tx): Promise<number> => {
      const local = this.local(key);
      const counts = await this.counters.addFailure(
        inTx,
        key.account,
        [local, ACCOUNT_SCOPE],
        inTx.now(),
        this.decayMs,
      );
      return counts.get(local) ?? 1;
    };
    return tx ? count(tx) : this.transactions.run(count);
  }

  /**
   * A success clears the counters of where it came from (network and device), not the account's.
   * With the login's snapshot, nothing is written when those counters did not exist (the
   * common case: a transaction fewer per login). A failure counted between the snapshot and
   * now stays: it happened, and it decays like any other.
   */
  async recordSuccess(key: LoginProtectionKey, snapshot?: CounterSnapshot): Promise<void> {
    const scopes = key.device ? [key.network, key.device] : [key.network];
    if (snapshot && !snapshot.rows.some((row) => scopes.includes(row.scope))) return;
    await this.transactions.run((tx) => this.counters.clearScopes(tx, key.account, scopes));
  }

  /** Clears every counter of an account (admin unlock, `users:unlock`, password reset). */
  async clearAccount(emailNormalized: string, tx?: Tx): Promise<void> {
    if (tx) return this.counters.clearAccount(tx, emailNormalized);
    await this.transactions.run((inTx) => this.counters.clearAccount(inTx, emailNormalized));
  }

  private local(key: LoginProtectionKey): string {
    return key.device ?? key.network;
  }

  /** After this long without a failure a counter counts nothing (and may be deleted). */
  get decayMs(): number {
    return this.config.login.lockoutMs * 2;
  }

  /** 0 below the threshold, then FIRST_DELAY_MS doubling per failure, capped at LOCKOUT_DURATION. */
  private delayMs(failures: number, threshold: number): number {
    if (failures < threshold) return 0;
    return Math.min(
      this.config.login.lockoutMs,
      FIRST_DELAY_MS * 2 ** Math.min(failures - threshold, 40),
    );
  }
}
