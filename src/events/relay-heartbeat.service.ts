import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { OutboxRepository } from './outbox.repository';
import { TransactionRunner } from './transaction-runner.service';

const HEARTBEAT_INTERVAL_MS = 1000;
/**
 * A relay silent this long is taken for dead and its claims are taken over. Three missed beats:
 * long enough for a busy event loop, short enough to redeliver within 5 s of a crash.
 */
export const RELAY_OWNER_TIMEOUT_SECONDS = 3;
/** Rows of instances gone this long are deleted when a new instance starts. */
const FORGET_AFTER_SECONDS = 24 * 60 * 60;

/**
 * This process's identity as an outbox relay: a fresh id per process (so a restarted process
 * never waits for its own previous incarnation's claims) and a heartbeat row kept fresh every
 * second, which tells the other instances that its claims are still being worked on.
 */
@Injectable()
export class RelayHeartbeat extends BackgroundWorker {
  readonly instanceId = randomUUID();
  private firstBeat?: Promise<void>;
  /** The beat in flight, if any: retiring waits for it, or it would write the row back. */
  private beating?: Promise<void>;
  private retired?: Promise<void>;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transactions: TransactionRunner,
  ) {
    super(RelayHeartbeat.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: HEARTBEAT_INTERVAL_MS, firstRunMs: 0 };
  }

  protected tick(): Promise<void> | undefined {
    if (this.retired || this.beating) return undefined;
    this.beating = (this.firstBeat ? this.beat() : this.registered()).finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  protected override async drain(): Promise<void> {
    await this.beating?.catch(() => undefined);
  }

  /**
   * Graceful shutdown, once the relay has finished its last batch (it calls this): no more
   * beats, the heartbeat row deleted and any claims still held released, so the other
   * instances take the work over now instead of after RELAY_OWNER_TIMEOUT_SECONDS. Idempotent;
   * a failure is logged (the row then simply expires, as after a crash).
   */
  retire(): Promise<void> {
    this.retired ??= this.forget();
    return this.retired;
  }

  private async forget(): Promise<void> {
    await this.drain();
    const registered = await this.firstBeat?.then(
      () => true,
      () => false,
    );
    if (!registered) return;
    try {
      const released = await this.transactions.run((tx) =>
        this.outbox.forgetInstance(tx, this.instanceId),
      );
      if (released > 0) this.logger.log(`released ${released} outbox claim(s) at shutdown`);
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /**
   * Resolves once this instance's heartbeat row exists. The relay waits for it before its first
   * claim: a claim by an unregistered owner would look orphaned to the other instances.
   */
  registered(): Promise<void> {
    this.firstBeat ??= this.register().catch((error: unknown) => {
      this.firstBeat = undefined;
      throw error;
    });
    return this.firstBeat;
  }

  private async register(): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.outbox.forgetSilentInstances(tx, FORGET_AFTER_SECONDS);
      await this.outbox.heartbeat(tx, this.instanceId);
    });
  }

  private async beat(): Promise<void> {
    await this.transactions.run((tx) => this.outbox.heartbeat(tx, this.instanceId));
  }
}
