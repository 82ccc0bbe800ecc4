import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { queryReturning } from '../common/sql';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { TransactionRunner } from '../events/transaction-runner.service';
import { ALERT_RULES, AlertRule, type RuleHistory } from './alert-rule';
import { AlertsService } from './alerts.service';

function historyFor(
  manager: EntityManager,
  rule: string,
  subject: string,
  event: AnyLifecycleEvent,
): RuleHistory {
  return {
    eventIdsSince: async (since) => {
      const rows = await manager.query<Array<{ event_id: string }>>(
        `SELECT event_id FROM alert_observations WHERE rule = $1 AND subject = $2 AND occurred_at >= $3
          ORDER BY occurred_at, event_id`,
        [rule, subject, since],
      );
      return rows.map((row) => row.event_id);
    },
    seenBefore: async () => {
      const rows = await manager.query<unknown[]>(
        `SELECT 1 FROM alert_observations WHERE rule = $1 AND subject = $2 AND event_id <> $3 LIMIT 1`,
        [rule, subject, event.id],
      );
      return rows.length > 0;
    },
  };
}

/**
 * Runs the registered rules on published events. Each (event, rule) is evaluated in one
 * transaction that records the observation, the alert and its `alert.raised` event together:
 * a replay finds the observation and does nothing, and a failure rolls all of it back and
 * surfaces to the outbox relay, which retries.
 */
@Injectable()
export class AlertEngine implements OnModuleInit {
  constructor(
    @Inject(ALERT_RULES) private readonly rules: AlertRule[],
    private readonly emitter: EventEmitter2,
    private readonly transactions: TransactionRunner,
    private readonly alerts: AlertsService,
  ) {}

  onModuleInit(): void {
    const types = new Set(this.rules.flatMap((rule) => rule.events));
    for (const type of types) {
      const interested = this.rules.filter((rule) => rule.events.includes(type));
      // emitAsync awaits a listener's promise, so a rejection reaches the relay (which retries).
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      this.emitter.on(type, (event: AnyLifecycleEvent) => this.evaluateAll(interested, event));
    }
  }

  private async evaluateAll(rules: AlertRule[], event: AnyLifecycleEvent): Promise<void> {
    for (const rule of rules) await this.evaluate(rule, event);
  }

  async evaluate(rule: AlertRule, event: AnyLifecycleEvent): Promise<void> {
    const subject = rule.subject(event)?.slice(0, 200);
    if (!subject) return;
    await this.transactions.run(async (tx) => {
      // One subject's events are judged one at a time cluster-wide (instances relay in parallel),
      // so a burst yields one alert, not one per instance.
      await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `alerting|${rule.name}|${subject}`,
      ]);
      const fresh = await queryReturning<{ event_id: string }>(
        tx.manager,
        `INSERT INTO alert_observations (event_id, rule, subject, occurred_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT DO NOTHING RETURNING event_id`,
        [event.id, rule.name, subject, new Date(event.occurredAt)],
      );
      if (fresh.length === 0) return;
      const draft = await rule.evaluate(event, historyFor(tx.manager, rule.name, subject, event));
      if (draft) await this.alerts.raise(tx, rule, subject, event, draft);
    });
  }
}
