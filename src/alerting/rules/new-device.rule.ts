import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft, type RuleHistory } from '../alert-rule';

/** A sign-in from a device the account has never used, when it already had others. */
@Injectable()
export class NewDeviceRule extends AlertRule {
  readonly name = 'device.new_sign_in';
  readonly events: readonly EventType[] = ['device.new'];

  async evaluate(event: AnyLifecycleEvent, history: RuleHistory): Promise<AlertDraft | undefined> {
    // The account's first device is not news.
    if (!(await history.seenBefore())) return undefined;
    const name = event.type === 'device.new' ? event.data.name : 'unknown device';
    return {
      severity: 'medium',
      title: `Sign-in from a new device: ${name}`,
      dedupeKey: `device:${event.deviceId ?? event.id}`,
    };
  }
}
