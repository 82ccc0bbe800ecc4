import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import type { LifecycleEvent } from './event-catalog';
import { type ClaimedOutboxRow, OutboxRepository } from './outbox.repository';
import { RELAY_OWNER_TIMEOUT_SECONDS, RelayHeartbeat } from './relay-heartbeat.service';
import { TransactionRunner } from './transaction-runner.service';
import { describeError } from '../common/describe-error';

const BATCH_SIZE = 100;
const LEASE_SECONDS = 30;
const POLL_INTERVAL_MS = 1000;

type ClaimedRow = ClaimedOutboxRow;

/** Observers of every published event (the cross-instance fan-out hooks in here). */
export type PublishedEventObserver = (event: LifecycleEvent) => void;

/**
 * Publishes committed outbox events through EventEmitter2, at least once. Rows are claimed with
 * a lease and the claiming instance's id (FOR UPDATE SKIP LOCKED) so several instances share
 * the work. A crash before `published_at` is set leaves claims whose owner stops heartbeating;
 * any instance takes them over a few seconds later and delivers them again.
 * Listeners are idempotent by event id, which turns at-least-once into exactly-once effects.
 */
@Injectable()
export class OutboxRelay extends BackgroundWorker {
  private draining?: Promise<void>;
  private again = false;
  private readonly observers: PublishedEventObserver[] = [];

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transactions: TransactionRunner,
    private readonly emitter: EventEmitter2,
    private readonly heartbeat: RelayHeartbeat,
  ) {
    super(OutboxRelay.name);
    transactions.onEventsCommitted(() => this.kick());
  }

  /** At start-up too: deliver whatever a previous run committed but did not publish. */
  protected schedule(): WorkerSchedule {
    return { intervalMs: POLL_INTERVAL_MS, firstRunMs: 0 };
  }

  protected tick(): void {
    this.kick();
  }

  /** The last batch finishes, then this instance stops being a relay (heartbeat row, claims). */
  protected override async drain(): Promise<void> {
    await this.draining;
    await this.heartbeat.retire();
  }

  observe(observer: PublishedEventObserver): void {
    this.observers.push(observer);
  }

  /** Asks for a drain soon; calls while a drain runs coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Publishes until nothing is left; resolves when the outbox is empty (used by tests). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    await this.drainLoop();
  }

  private async drainLoop(): Promise<void> {
    try {
      while (!this.stopped && (await this.drainBatch()) === BATCH_SIZE) {
        // keep going while full batches come back
      }
    } catch (error) {
      this.reportFailure(error);
    }
  }

  private async drainBatch(): Promise<number> {
    await this.heartbeat.registered();
    const rows = await this.transactions.run((tx) =>
      this.outbox.claim(
        tx,
        this.heartbeat.instanceId,
        LEASE_SECONDS,
        BATCH_SIZE,
        RELAY_OWNER_TIMEOUT_SECONDS,
      ),
    );
    const published: string[] = [];
    for (const row of rows) {
      try {
        await this.emitter.emitAsync(row.payload.type, row.payload);
        published.push(row.id);
        for (const observer of this.observers) observer(row.payload);
      } catch (error) {
        await this.release(row, error);
      }
    }
    if (published.length > 0) {
      await this.transactions.run((tx) => this.outbox.markPublished(tx, published));
    }
    return rows.length;
  }

  private async release(row: ClaimedRow, error: unknown): Promise<void> {
    const message = describeError(error);
    this.logger.warn(`event ${row.id} (${row.payload.type}) failed: ${message}`);
    // Exponential backoff, capped at five minutes, before the next attempt.
    const backoffSeconds = Math.min(300, 2 ** Math.min(row.attempts, 8));
    await this.transactions.run((tx) =>
      this.outbox.release(tx, row.id, backoffSeconds, message.slice(0, 500)),
    );
  }
}
