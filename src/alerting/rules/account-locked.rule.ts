import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/** The account was locked (after failed logins, or by an administrator). */
@Injectable()
export class AccountLockedRule extends AlertRule {
  readonly name = 'user.locked';
  readonly events: readonly EventType[] = ['user.locked'];

  async evaluate(event: AnyLifecycleEvent): Promise<AlertDraft | undefined> {
    if (event.type !== 'user.locked') return undefined;
    return event.data.reason === 'failed_logins'
      ? { severity: 'high', title: 'The account was locked after repeated failed sign-ins' }
      : { severity: 'medium', title: 'The account was locked by an administrator' };
  }
}
