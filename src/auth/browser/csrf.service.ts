import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../common/constant-time';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { ServerSecretRepository } from './server-secret.repository';

/**
 * Cookie-mode CSRF tokens: HMAC-SHA256(shared key, session id). Stable for the session's life
 * (every tab can keep using it across refreshes), checked without any database query, and
 * useless for another session. The key lives in the database so all instances agree.
 */
@Injectable()
export class CsrfService implements OnApplicationBootstrap {
  private key?: Buffer;

  constructor(
    private readonly secrets: ServerSecretRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const value = await this.transactions.run((tx) =>
      this.secrets.getOrCreate(tx, 'csrf', randomBytes(32).toString('base64url')),
    );
    this.key = Buffer.from(value, 'base64url');
  }

  tokenFor(sessionId: string): string {
    if (!this.key) throw new Error('CSRF key not loaded');
    return createHmac('sha256', this.key).update(sessionId).digest('base64url');
  }

  /** Constant-time check of a presented token. */
  verify(sessionId: string, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.tokenFor(sessionId));
    const actual = Buffer.from(presented);
    return constantTimeEqual(actual, expected);
  }
}
