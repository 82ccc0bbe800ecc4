// The README's alerting snippets ("Extending alerting"), compiled by `npm run typecheck`.
// scripts/check-readme-examples.js checks that each README block appears here verbatim.
import { Injectable } from '@nestjs/common';
import { AlertChannel } from '../../src/alerting/alert-channel';
import { AlertRule, type AlertDraft, type RuleHistory } from '../../src/alerting/alert-rule';
import type { AlertView } from '../../src/alerting/alert-view';
import { AlertingModule } from '../../src/alerting/alerting.module';
import type { AnyLifecycleEvent } from '../../src/events/event-catalog';

@Injectable()
export class ManyDevicesRule extends AlertRule {
  readonly name = 'device.many_new';
  readonly events = ['device.new'] as const;
  async evaluate(event: AnyLifecycleEvent, history: RuleHistory): Promise<AlertDraft | undefined> {
    const since = new Date(Date.parse(event.occurredAt) - 24 * 3600_000);
    const ids = await history.eventIdsSince(since); // this subject's events, this one included
    return ids.length >= 3
      ? { severity: 'high', title: '3 new devices in a day', evidence: ids }
      : undefined;
  }
}

@Injectable()
export class PagerDutyChannel extends AlertChannel {
  readonly name = 'pagerduty';
  async deliver(alert: AlertView): Promise<void> {
    const res = await fetch('https://events.pagerduty.com/v2/enqueue', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: 'your-integration-key',
        event_action: 'trigger',
        dedup_key: alert.id,
        payload: { summary: alert.title, severity: 'critical', source: 'tessera' },
      }),
    });
    if (!res.ok) throw new Error(`PagerDuty answered ${res.status}`); // retried with backoff
  }
}

export const alerting = AlertingModule.forRoot({
  rules: [ManyDevicesRule], // added to the built-in rules (defaultRules: false to drop those)
  channels: [PagerDutyChannel], // added to the built-in webhook channel
  failedLoginsPerAccount: { count: 5, windowMs: 10 * 60_000 },
  failedLoginsPerIp: { count: 20, windowMs: 10 * 60_000 },
  webhooks: { timeoutMs: 5000, maxAttempts: 8, backoffBaseMs: 10_000 },
});
