import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/** An active session was continued from a different IP address. */
@Injectable()
export class SessionIpChangedRule extends AlertRule {
  readonly name = 'session.ip_changed';
  readonly events: readonly EventType[] = ['session.ip_changed'];

  async evaluate(event: AnyLifecycleEvent): Promise<AlertDraft | undefined> {
    const previous =
      event.type === 'session.ip_changed' ? event.data.previousIp : 'another address';
    return {
      severity: 'medium',
      title: `Session continued from a new IP address (${event.ip ?? 'unknown'}, was ${previous})`,
      dedupeKey: `session:${event.sessionId ?? event.id}:${event.ip ?? ''}`,
    };
  }
}
