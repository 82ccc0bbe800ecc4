import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { AuditService } from './audit.service';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PURGE_DELAY_MS = 60 * 1000;

/**
 * Enforces AUDIT_RETENTION: an hourly batch purge on every instance (the chain-head lock makes
 * concurrent purges take turns; the second finds nothing left to do).
 */
@Injectable()
export class AuditRetentionScheduler extends BackgroundWorker {
  private running?: Promise<void>;

  constructor(private readonly audit: AuditService) {
    super(AuditRetentionScheduler.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: PURGE_INTERVAL_MS, firstRunMs: FIRST_PURGE_DELAY_MS };
  }

  protected override async drain(): Promise<void> {
    await this.running;
  }

  protected tick(): void {
    if (this.running) return;
    this.running = this.audit
      .purge()
      .then((count) => {
        if (count > 0) this.logger.log(`purged ${count} audit records past retention`);
      })
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.running = undefined;
      });
  }
}
