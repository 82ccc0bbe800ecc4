import { Injectable } from '@nestjs/common';
import type { AnyLifecycleEvent, EventType } from '../../events/event-catalog';
import { AlertRule, type AlertDraft, type RuleHistory } from '../alert-rule';
import { AlertingSettings, type BurstThreshold } from '../alerting-settings';

async function burst(
  event: AnyLifecycleEvent,
  history: RuleHistory,
  threshold: BurstThreshold,
): Promise<string[] | undefined> {
  const since = new Date(new Date(event.occurredAt).getTime() - threshold.windowMs);
  const ids = await history.eventIdsSince(since);
  return ids.length >= threshold.count ? ids : undefined;
}

/** Many failed logins for one account within a window (password guessing). */
@Injectable()
export class FailedLoginBurstAccountRule extends AlertRule {
  readonly name = 'auth.failed_login_burst.account';
  readonly events: readonly EventType[] = ['auth.login.failed'];

  constructor(private readonly settings: AlertingSettings) {
    super();
  }

  override get dedupeWindowMs(): number {
    return this.settings.failedLoginsPerAccount.windowMs;
  }

  async evaluate(event: AnyLifecycleEvent, history: RuleHistory): Promise<AlertDraft | undefined> {
    const evidence = await burst(event, history, this.settings.failedLoginsPerAccount);
    if (!evidence) return undefined;
    return {
      severity: 'medium',
      title: `${evidence.length} failed sign-in attempts in a short time`,
      evidence,
    };
  }
}

/**
 * Many failed logins from one IP address, across accounts (credential stuffing). Failures for
 * unknown emails produce events too (without a user), so they count. Its evidence spans several
 * accounts, so it is filed without a user (administrators only, never in /me/alerts); later
 * failures fold into it.
 */
@Injectable()
export class FailedLoginBurstIpRule extends AlertRule {
  readonly name = 'auth.failed_login_burst.ip';
  readonly events: readonly EventType[] = ['auth.login.failed'];

  constructor(private readonly settings: AlertingSettings) {
    super();
  }

  override get dedupeWindowMs(): number {
    return this.settings.failedLoginsPerIp.windowMs;
  }

  override subject(event: AnyLifecycleEvent): string | undefined {
    return event.ip ? `ip:${event.ip}` : undefined;
  }

  async evaluate(event: AnyLifecycleEvent, history: RuleHistory): Promise<AlertDraft | undefined> {
    const evidence = await burst(event, history, this.settings.failedLoginsPerIp);
    if (!evidence) return undefined;
    return {
      severity: 'high',
      title: `${evidence.length} failed sign-in attempts from ${event.ip ?? 'one address'}`,
      evidence,
      userId: null,
    };
  }
}
