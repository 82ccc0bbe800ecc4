import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/secret-box';
import type { Tx } from '../events/transaction-runner.service';
import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-code-format';
import { RecoveryCodesRepository } from './recovery-codes.repository';

/**
 * Ten single-use recovery codes per user, shown once and stored as keyed hashes: an HMAC under
 * a SecretBox subkey (not a bare SHA-256), because 50-bit codes could be brute-forced offline
 * from a stolen table. Lookup is by exact hash in the database, so no comparison of secrets
 * happens in JavaScript.
 */
@Injectable()
export class RecoveryCodesService {
  constructor(
    private readonly repository: RecoveryCodesRepository,
    private readonly box: SecretBox,
  ) {}

  /** Replaces the user's set with ten new codes and returns them (the only time they exist). */
  async regenerate(tx: Tx, userId: string): Promise<string[]> {
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(newRecoveryCode());
    const shown = [...codes];
    await this.repository.replace(
      tx,
      userId,
      shown.map((code) => this.hash(userId, normalizeRecoveryCode(code) ?? code)),
    );
    return shown;
  }

  /** Spends a code: true once per code, even for racing requests. */
  async consume(tx: Tx, userId: string, code: string): Promise<boolean> {
    const normalized = normalizeRecoveryCode(code);
    if (normalized === undefined) return false;
    return this.repository.consume(tx, userId, this.hash(userId, normalized));
  }

  countLeft(userId: string, tx?: Tx): Promise<number> {
    return this.repository.countUnused(userId, tx);
  }

  removeAll(tx: Tx, userId: string): Promise<void> {
    return this.repository.deleteAll(tx, userId);
  }

  private hash(userId: string, normalized: string): string {
    return this.box.mac('recovery-code', `${userId}:${normalized}`);
  }
}
