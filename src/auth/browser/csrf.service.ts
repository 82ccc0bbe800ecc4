import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * Cookie-mode CSRF tokens: HMAC-SHA256(shared key, session id). Stable for the session's life
 * (every tab can keep using it across refreshes), checked without any database query, and
 * useless for another session. The key lives in the database so all instances agree.
 */
@Injectable()
export class CsrfService implements OnApplicationBootstrap {
  private key?: Buffer;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO server_secrets (name, value) VALUES ('csrf', $1) ON CONFLICT (name) DO NOTHING`,
      [randomBytes(32).toString('base64url')],
    );
    const [row] = await this.dataSource.query<
      Array<{
        value: string;
      }>
    >(`SELECT value FROM server_secrets WHERE name = 'csrf'`);
    this.key = Buffer.from(row.value, 'base64url');
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
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
