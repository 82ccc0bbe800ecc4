import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/**
 * A recovery code stood in for the second factor: expected when the user lost their
 * authenticator, alarming when they did not use one (the codes were found or stolen).
 */
@Injectable()
export class RecoveryCodeUsedRule extends AlertRule {
  readonly name = 'mfa.recovery_code_used';
  readonly events: readonly EventType[] = ['mfa.recovery_code_used'];

  async evaluate(event: AnyLifecycleEvent): Promise<AlertDraft | undefined> {
    if (event.type !== 'mfa.recovery_code_used') return undefined;
    const left = event.data.remaining;
    return {
      severity: 'medium',
      title: `A recovery code was used (${left} left)`,
    };
  }
}
