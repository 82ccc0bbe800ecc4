import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { AlertRepository } from './alert.repository';
import { ALERT_RULES, AlertRule, type RuleHistory } from './alert-rule';
import { AlertsService } from './alerts.service';

function historyFor(
  alerts: AlertRepository,
  tx: Tx,
  rule: string,
  subject: string,
  event: AnyLifecycleEvent,
): RuleHistory {
  return {
    eventIdsSince: (since) => alerts.observedEventIdsSince(tx, rule, subject, since),
    seenBefore: () => alerts.observedOtherThan(tx, rule, subject, event.id),
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
    private readonly observations: AlertRepository,
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
      await this.observations.lockSubject(tx, `alerting|${rule.name}|${subject}`);
      const fresh = await this.observations.observe(
        tx,
        event.id,
        rule.name,
        subject,
        new Date(event.occurredAt),
      );
      if (!fresh) return;
      const draft = await rule.evaluate(
        event,
        historyFor(this.observations, tx, rule.name, subject, event),
      );
      if (draft) await this.alerts.raise(tx, rule, subject, event, draft);
    });
  }
}
