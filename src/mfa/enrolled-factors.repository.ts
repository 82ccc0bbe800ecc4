import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tx } from '../events/transaction-runner.service';

export interface EnrolledFactors {
  /** A confirmed TOTP factor. */
  totp: boolean;
  passkeys: number;
}

/**
 * Which second factors a user has, in one statement across totp_factors and
 * webauthn_credentials: every password login asks, and most users have neither.
 */
@Injectable()
export class EnrolledFactorsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async of(userId: string, tx?: Tx): Promise<EnrolledFactors> {
    const manager = tx?.manager ?? this.dataSource.manager;
    const [row] = await manager.query<Array<{ totp: boolean; passkeys: number }>>(
      `SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS totp,
              (SELECT count(*)::int FROM webauthn_credentials WHERE user_id = $1) AS passkeys`,
      [userId],
    );
    return { totp: row.totp, passkeys: Number(row.passkeys) };
  }
}
