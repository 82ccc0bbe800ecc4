import { Injectable } from '@nestjs/common';
import { HealthRepository } from './health.repository';

const READY_TIMEOUT_MS = 2000;

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: { database: 'up' | 'down'; migrations: 'applied' | 'pending' | 'unknown' };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Readiness: the database answers (within a bound) and every migration is applied. */
@Injectable()
export class HealthService {
  private migrationsApplied = false;

  constructor(private readonly probes: HealthRepository) {}

  async readiness(): Promise<ReadinessReport> {
    try {
      await withTimeout(this.probes.ping(), READY_TIMEOUT_MS);
    } catch {
      return { status: 'unavailable', checks: { database: 'down', migrations: 'unknown' } };
    }
    if (!this.migrationsApplied) {
      // Applied migrations cannot become pending without a deploy, so check until true once.
      this.migrationsApplied = !(await this.probes.hasPendingMigrations());
    }
    return this.migrationsApplied
      ? { status: 'ok', checks: { database: 'up', migrations: 'applied' } }
      : { status: 'unavailable', checks: { database: 'up', migrations: 'pending' } };
  }
}
