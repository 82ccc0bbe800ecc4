import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/** A new sign-in pushed the oldest session out (the per-user session limit). */
@Injectable()
export class SessionLimitEvictionRule extends AlertRule {
  readonly name = 'session.limit_evicted';
  readonly events: readonly EventType[] = ['session.revoked'];

  override subject(event: AnyLifecycleEvent): string | undefined {
    if (event.type !== 'session.revoked' || event.data.reason !== 'limit_evicted') return undefined;
    return `user:${event.userId}`;
  }

  async evaluate(): Promise<AlertDraft | undefined> {
    return {
      severity: 'low',
      title: 'A session was signed out because the session limit was reached',
    };
  }
}
