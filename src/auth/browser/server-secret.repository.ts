import { Injectable } from '@nestjs/common';
import type { Tx } from '../../events/transaction-runner.service';

/** server_secrets: keys every instance must share, created once by whichever starts first. */
@Injectable()
export class ServerSecretRepository {
  /** Creates the secret unless it exists, then returns the stored value (the first one wins). */
  async getOrCreate(tx: Tx, name: string, candidate: string): Promise<string> {
    await tx.manager.query(
      `INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [name, candidate],
    );
    const [row] = await tx.manager.query<Array<{ value: string }>>(
      `SELECT value FROM server_secrets WHERE name = $1`,
      [name],
    );
    return row.value;
  }
}
