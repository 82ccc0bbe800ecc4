import { Injectable, Logger, Optional } from '@nestjs/common';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';
import { WorkLimiter } from '../common/work-limiter';
import { AppConfig } from '../config/app-config';

/** argon2id per OWASP: m=19 MiB, t=2, p=1. (@node-rs/argon2 exposes the algorithm as a const enum.) */
const ARGON2ID = 2;
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/**
 * TEST_CHEAP_PASSWORD_HASHING (refused unless NODE_ENV=test): still argon2id, at about 1/100 of
 * the work, for test suites only. Hashes made with it are rehashed by any instance without it.
 */
export const ARGON2_TEST_PARAMS = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

type Argon2Params = typeof ARGON2_PARAMS | typeof ARGON2_TEST_PARAMS;

/** Waiting argon2 jobs allowed per core (see the limiter below). */
export const QUEUED_PER_CORE = 64;

/** NFKC on both set and verify; nothing else is changed (no trim, no case folding). */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * One argon2 job per core. Waiting jobs hold no argon2 memory, so the queue may be long enough for
 * a login burst (64 per core is about 1 s of hashing); none waits more than 2 s, the rest get 503.
 */
function argon2Limiter(): WorkLimiter {
  const cores = availableParallelism();
  return new WorkLimiter({
    maxConcurrent: cores,
    maxQueued: QUEUED_PER_CORE * cores,
    maxWaitMs: 2000,
  });
}

@Injectable()
export class PasswordHasher {
  private dummyHash?: Promise<string>;
  /** Bounds concurrent argon2 work (issue 10): excess is shed with 503 + Retry-After. */
  readonly limiter = argon2Limiter();
  readonly params: Argon2Params;

  constructor(@Optional() config?: AppConfig) {
    this.params = config?.cheapPasswordHashing ? ARGON2_TEST_PARAMS : ARGON2_PARAMS;
    // Said at start-up, so a log shows it if a test setting ever reaches a real deployment.
    if (config?.cheapPasswordHashing) {
      new Logger(PasswordHasher.name).log(
        'TEST_CHEAP_PASSWORD_HASHING: argon2id at test-only parameters (m=1 MiB, t=1)',
      );
    }
  }

  async hash(password: string): Promise<string> {
    return this.limiter.run(() =>
      hash(normalizePassword(password), { algorithm: ARGON2ID, ...this.params }),
    );
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    // Outside the try: a shed verification must answer 503, not look like a wrong password.
    return this.limiter.run(async () => {
      try {
        return await verify(passwordHash, normalizePassword(password));
      } catch {
        return false;
      }
    });
  }

  /** Spends the same work as a real verification, for unknown emails (no timing oracle). */
  async verifyDummy(password: string): Promise<false> {
    // A shed first attempt must not leave a rejected promise cached for good.
    this.dummyHash ??= this.hash('tessera-dummy-password-for-timing').catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await this.verify(await this.dummyHash, password);
    return false;
  }

  needsRehash(passwordHash: string): boolean {
    try {
      const options = parseOptions(passwordHash);
      return (
        Number(options.algorithm) !== ARGON2ID ||
        options.memoryCost < this.params.memoryCost ||
        options.timeCost < this.params.timeCost ||
        options.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }
}
