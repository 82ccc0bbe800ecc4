import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../events/event-catalog';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
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
  private readonly byType = new Map<EventType, AlertRule[]>();

  constructor(
    @Inject(ALERT_RULES) private readonly rules: AlertRule[],
    private readonly transactions: TransactionRunner,
    private readonly alerts: AlertsService,
    private readonly observations: AlertRepository,
  ) {}

  onModuleInit(): void {
    for (const rule of this.rules) {
      for (const type of rule.events)
        this.byType.set(type, [...(this.byType.get(type) ?? []), rule]);
    }
  }

  /** Runs the rules interested in this event's type, one after another. */
  @OnLifecycleEvent('**')
  async onEvent(event: AnyLifecycleEvent): Promise<void> {
    const interested = this.byType.get(event.type);
    if (interested) await this.evaluateAll(interested, event);
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
