import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/** A rotated refresh token was presented again: likely stolen; the session was revoked. */
@Injectable()
export class RefreshReuseRule extends AlertRule {
  readonly name = 'session.refresh_token_reuse';
  readonly events: readonly EventType[] = ['session.reuse_detected'];

  async evaluate(event: AnyLifecycleEvent): Promise<AlertDraft | undefined> {
    return {
      severity: 'high',
      title: 'A refresh token was reused; the session has been revoked',
      dedupeKey: `session:${event.sessionId ?? event.id}`,
    };
  }
}
