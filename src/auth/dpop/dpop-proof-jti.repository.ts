import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** dpop_proof_jtis: proofs seen at the token endpoints (the replay cache without Redis). */
@Injectable()
export class DpopProofJtiRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** True when this is the first time the key was seen (the unique key decides races). */
  async insertIfNew(jtiHash: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.dataSource.query<Array<{ jti_hash: string }>>(
      `INSERT INTO dpop_proof_jtis (jti_hash, expires_at) VALUES ($1, $2)
       ON CONFLICT (jti_hash) DO NOTHING RETURNING jti_hash`,
      [jtiHash, expiresAt],
    );
    return rows.length === 1;
  }

  async deleteExpired(before: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM dpop_proof_jtis WHERE expires_at < $1`, [before]);
  }
}
