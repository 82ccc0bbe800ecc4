import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { AppConfig } from '../config/app-config';
import { RevocationView } from './revocation-view.service';

/**
 * Every REVOCATION_RECONCILE_INTERVAL [1s], folds sessions ended in the database since the last
 * look into the RevocationView. The cluster bus is fast but at-most-once: with this, a revoked
 * token is refused on every instance within about the interval even when its message was lost.
 */
@Injectable()
export class RevocationReconciler extends BackgroundWorker {
  private running = false;

  constructor(
    private readonly view: RevocationView,
    private readonly config: AppConfig,
  ) {
    super(RevocationReconciler.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: this.config.revocationReconcileIntervalMs };
  }

  protected async tick(): Promise<void> {
    // A slow database must not pile up overlapping runs.
    if (this.running) return;
    this.running = true;
    try {
      await this.view.reconcile();
    } finally {
      this.running = false;
    }
  }
}
