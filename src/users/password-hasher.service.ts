import { Injectable } from '@nestjs/common';
import { hash, parseOptions, verify } from '@node-rs/argon2';

/** argon2id per OWASP: m=19 MiB, t=2, p=1. (@node-rs/argon2 exposes the algorithm as a const enum.) */
const ARGON2ID = 2;
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** NFKC on both set and verify; nothing else is changed (no trim, no case folding). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

@Injectable()
export class PasswordHasher {
  private dummyHash?: Promise<string>;

  async hash(password: string): Promise<string> {
    return hash(normalizePassword(password), { algorithm: ARGON2ID, ...ARGON2_PARAMS });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, normalizePassword(password));
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verification, for unknown emails (no timing oracle). */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash('tessera-dummy-password-for-timing');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  needsRehash(passwordHash: string): boolean {
    try {
      const options = parseOptions(passwordHash);
      return (
        Number(options.algorithm) !== ARGON2ID ||
        options.memoryCost < ARGON2_PARAMS.memoryCost ||
        options.timeCost < ARGON2_PARAMS.timeCost ||
        options.parallelism !== ARGON2_PARAMS.parallelism
      );
    } catch {
      return true;
    }
  }
}
