import {
  type BeforeApplicationShutdown,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { isDatabaseUnavailable } from './database-errors';

export interface WorkerSchedule {
  /** Time between runs. */
  intervalMs: number;
  /** Delay before the first run: 0 runs at start-up, undefined waits one interval. */
  firstRunMs?: number;
}

/**
 * The shape every background worker shares (outbox relay, webhook worker, session expiry sweep,
 * activity flush, audit retention): an unref'd timer started at bootstrap and stopped before
 * shutdown, and failures logged once here, except database outages, which the health check
 * reports and the next run recovers from.
 */
export abstract class BackgroundWorker
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger: Logger;
  /** Set at shutdown: no new run starts, and loops in flight should end early. */
  protected stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];

  protected constructor(name: string) {
    this.logger = new Logger(name);
  }

  protected abstract schedule(): WorkerSchedule;

  /** One run. A rejection or throw is logged by the base class. */
  protected abstract tick(): void | Promise<unknown>;

  /** Waits for (or finishes) work in flight once the timers have stopped. */
  protected async drain(): Promise<void> {}

  onApplicationBootstrap(): void {
    const { intervalMs, firstRunMs } = this.schedule();
    if (firstRunMs === 0) this.run();
    else if (firstRunMs !== undefined) this.timers.push(setTimeout(() => this.run(), firstRunMs));
    this.timers.push(setInterval(() => this.run(), intervalMs));
    for (const timer of this.timers) timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.drain();
  }

  protected reportFailure(error: unknown): void {
    if (!isDatabaseUnavailable(error))
      this.logger.error(error instanceof Error ? error : String(error));
  }

  private run(): void {
    if (this.stopped) return;
    try {
      const result = this.tick();
      if (result) result.catch((error: unknown) => this.reportFailure(error));
    } catch (error) {
      this.reportFailure(error);
    }
  }
}
