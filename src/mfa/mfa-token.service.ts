import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { Clock } from '../common/clock';
import type { AmrValue } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import type { MfaDeviceHint, MfaLoginTokenEntity, MfaTransport } from './mfa-login-token.entity';
import { MfaLoginTokensRepository } from './mfa-login-tokens.repository';

/** The contract's ceiling for an mfaToken's life. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface IssueMfaToken {
  userId: string;
  transport: MfaTransport;
  rememberMe: boolean;
  device?: MfaDeviceHint;
  ip?: string;
  userAgent?: string;
  firstFactorAmr: AmrValue[];
}

/** The password step's login, as the second step must continue it. */
export interface MfaLoginContext {
  userId: string;
  transport: MfaTransport;
  rememberMe: boolean;
  device?: MfaDeviceHint;
  ip?: string;
  userAgent?: string;
  firstFactorAmr: AmrValue[];
  expiresAt: Date;
}

export interface IssuedMfaToken {
  mfaToken: string;
  /** Seconds, as the `mfa_required` problem's `expiresIn`. */
  expiresIn: number;
  expiresAt: Date;
}

function invalid(): AppException {
  return new AppException('mfa_token_invalid', 'The MFA token is not valid, spent or expired');
}

function toContext(row: MfaLoginTokenEntity): MfaLoginContext {
  return {
    userId: row.userId,
    transport: row.transport,
    rememberMe: row.rememberMe,
    device: row.device ?? undefined,
    ip: row.ip ?? undefined,
    userAgent: row.userAgent ?? undefined,
    firstFactorAmr: row.firstFactorAmr as AmrValue[],
    expiresAt: row.expiresAt,
  };
}

/**
 * The opaque `mfaToken` that links a verified password to its second step. Single purpose (it
 * is not a session or an access token and nothing else accepts it), single use, at most five
 * minutes, stored only as a SHA-256 (a 256-bit random token needs no slow hash).
 */
@Injectable()
export class MfaTokenService {
  constructor(
    private readonly repository: MfaLoginTokensRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  async issue(tx: Tx, input: IssueMfaToken): Promise<IssuedMfaToken> {
    const mfaToken = newOpaqueToken();
    const createdAt = tx.now();
    const expiresAt = new Date(createdAt.getTime() + MFA_TOKEN_TTL_MS);
    await this.repository.insert(tx, {
      tokenHash: hashToken(mfaToken),
      userId: input.userId,
      transport: input.transport,
      rememberMe: input.rememberMe,
      device: input.device ?? null,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      firstFactorAmr: input.firstFactorAmr,
      createdAt,
      expiresAt,
    });
    return { mfaToken, expiresIn: MFA_TOKEN_TTL_MS / 1000, expiresAt };
  }

  /**
   * The login a live token stands for, without spending it: the second step verifies the code
   * first, so a mistyped code does not cost the user their token.
   */
  async peek(token: string, tx?: Tx): Promise<MfaLoginContext> {
    if (!TOKEN_SHAPE.test(token)) throw invalid();
    const row = await this.repository.findLive(hashToken(token), this.clock.now(), tx);
    if (!row) throw invalid();
    return toContext(row);
  }

  /** Housekeeping: deletes tokens that expired before `before` (spent or not). */
  purgeExpired(tx: Tx, before: Date, limit: number): Promise<number> {
    return this.repository.purgeExpired(tx, before, limit);
  }

  /**
   * Spends the token (exactly once, whatever the race). Pass the transaction that mints the
   * session so a failure there leaves the token usable; without one it commits on its own
   * (never call it without `tx` from inside a transaction: the embedded database has one
   * connection).
   */
  async consume(token: string, tx?: Tx): Promise<MfaLoginContext> {
    if (!TOKEN_SHAPE.test(token)) throw invalid();
    const spend = (t: Tx) => this.repository.consume(t, hashToken(token));
    const row = tx ? await spend(tx) : await this.transactions.run(spend);
    if (!row) throw invalid();
    return toContext(row);
  }
}
