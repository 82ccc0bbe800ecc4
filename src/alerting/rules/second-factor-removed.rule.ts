import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft } from '../alert-rule';

/** Who removed the factor: someone other than the user (an admin, the operator CLI) or the user. */
function removedBy(event: AnyLifecycleEvent): string | undefined {
  if (event.type !== 'mfa.disabled' && event.type !== 'passkey.removed') return undefined;
  const actorId = event.data.actorId;
  return actorId && actorId !== event.userId ? actorId : undefined;
}

/**
 * A second factor was removed (`mfa.disabled`, `passkey.removed`): the account is weaker now,
 * and taking a factor away is what an attacker holding a session does first. Medium when the
 * user did it themselves (a fresh step-up was needed); high when an administrator or the
 * operator CLI reset the factors, because a help-desk reset is the classic way around MFA
 * (social engineering) and the user may know nothing of it. An admin reset records one event
 * per factor; they fold into one alert (same dedupe key within the window). Dedupe keys are
 * global across users, so each names the user.
 */
@Injectable()
export class SecondFactorRemovedRule extends AlertRule {
  readonly name = 'mfa.factor_removed';
  readonly events: readonly EventType[] = ['mfa.disabled', 'passkey.removed'];

  async evaluate(event: AnyLifecycleEvent): Promise<AlertDraft | undefined> {
    const actorId = removedBy(event);
    if (actorId) {
      return {
        severity: 'high',
        title: "An administrator reset the account's second factors",
        dedupeKey: `reset:${event.userId}:${actorId}`,
      };
    }
    if (event.type === 'passkey.removed') {
      return {
        severity: 'medium',
        title: `A passkey was removed: ${event.data.name}`,
        dedupeKey: `self:${event.userId}`,
      };
    }
    if (event.type === 'mfa.disabled') {
      return {
        severity: 'medium',
        title: 'The authenticator app (TOTP) was removed',
        dedupeKey: `self:${event.userId}`,
      };
    }
    return undefined;
  }
}
