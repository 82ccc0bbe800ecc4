import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { isDatabaseUnavailable } from '../common/database-errors';
import { AuditService } from './audit.service';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PURGE_DELAY_MS = 60 * 1000;

/**
 * Enforces AUDIT_RETENTION: an hourly batch purge on every instance (the chain-head lock makes
 * concurrent purges take turns; the second finds nothing left to do).
 */
@Injectable()
export class AuditRetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditRetentionScheduler.name);
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;

  constructor(private readonly audit: AuditService) {}

  onApplicationBootstrap(): void {
    const first = setTimeout(() => this.run(), FIRST_PURGE_DELAY_MS);
    const every = setInterval(() => this.run(), PURGE_INTERVAL_MS);
    first.unref();
    every.unref();
    this.timers = [first, every];
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.running;
  }

  private run(): void {
    if (this.running) return;
    this.running = this.audit
      .purge()
      .then((count) => {
        if (count > 0) this.logger.log(`purged ${count} audit records past retention`);
      })
      .catch((error: unknown) => {
        if (!isDatabaseUnavailable(error))
          this.logger.error(error instanceof Error ? error : String(error));
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
