import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
import { TransactionRunner } from '../events/transaction-runner.service';
import { securityEventFor } from './caep-events';
import { buildSetClaims } from './set-claims';
import { SsfSignals } from './ssf-signals';
import { SsfRepository } from './ssf.repository';

/**
 * Turns committed lifecycle events into SETs: one row per stream that asked for the event type.
 * The outbox relay delivers each event at least once; the (stream, event) unique key makes a
 * redelivery a no-op, so every stream gets exactly one SET per event, and a failure here makes
 * the relay retry the event (none is lost).
 */
@Injectable()
export class SsfListener {
  constructor(
    private readonly sets: SsfRepository,
    private readonly transactions: TransactionRunner,
    private readonly signals: SsfSignals,
    private readonly config: AppConfig,
  ) {}

  @OnLifecycleEvent('**')
  async onEvent(event: AnyLifecycleEvent): Promise<void> {
    const issuer = this.config.jwt.issuer;
    const security = securityEventFor(event, issuer);
    // Every CAEP event is about a user (securityEventFor maps none without one).
    if (!security || !event.userId) return;
    const userId = event.userId;
    const queued = await this.transactions.run(async (tx) => {
      const streams = await this.sets.streamsReceiving(tx, security.eventType, userId);
      const now = tx.now();
      return this.sets.insertSets(
        tx,
        streams.map((stream) => {
          const jti = randomUUID();
          return {
            streamId: stream.id,
            outboxEventId: event.id,
            jti,
            eventType: security.eventType,
            claims: buildSetClaims({
              issuer,
              audience: stream.audience,
              jti,
              issuedAt: now,
              event: security,
            }),
            createdAt: now,
          };
        }),
      );
    });
    this.signals.queued(queued);
  }
}
