import type { AnyLifecycleEvent, EventType } from '../events/event-catalog';
import type { AlertSeverity } from './alert.entity';

/** What a rule wants raised. */
export interface AlertDraft {
  severity: AlertSeverity;
  /** A short, secret-free sentence for people ("Sign-in from a new device"). */
  title: string;
  /** Event ids supporting the alert; default: the triggering event. */
  evidence?: readonly string[];
  /** Alerts of this rule with the same key fold into one within the rule's window; default: the subject. */
  dedupeKey?: string;
  /**
   * Whose alert it is: default the event's user. `null` files it without a user, visible to
   * administrators only (an alert about many accounts must not land in one of them's /me/alerts).
   */
  userId?: string | null;
}

/** What the rule has seen before, for its subject; this event is already included. */
export interface RuleHistory {
  /** Ids of the subject's observed events that occurred at or after `since`, oldest first. */
  eventIdsSince(since: Date): Promise<string[]>;
  /** Whether the subject was observed before this event. */
  seenBefore(): Promise<boolean>;
}

/**
 * An alerting rule: a provider (so it can inject what it needs) registered through
 * `AlertingModule.forRoot({ rules: [MyRule] })`. The engine calls `evaluate` once per published
 * event of the listed types, inside a transaction that also records the observation and any
 * alert, so a replayed event is never evaluated twice.
 */
export abstract class AlertRule {
  /** Stable identifier, stored with alerts and observations (e.g. `auth.failed_login_burst`). */
  abstract readonly name: string;
  /** The lifecycle events this rule listens to. */
  abstract readonly events: readonly EventType[];
  /** Within this window an open alert with the same rule and key absorbs new occurrences. */
  get dedupeWindowMs(): number {
    return 15 * 60_000;
  }

  /**
   * The key the rule counts and remembers by (an account, an IP …), or undefined to skip the
   * event altogether. Default: the event's user (events about no account are skipped).
   */
  subject(event: AnyLifecycleEvent): string | undefined {
    return event.userId === undefined ? undefined : `user:${event.userId}`;
  }

  /** Decides whether the event raises an alert. */
  abstract evaluate(
    event: AnyLifecycleEvent,
    history: RuleHistory,
  ): Promise<AlertDraft | undefined>;
}

/** Multi-provider token: every registered rule instance. */
export const ALERT_RULES = Symbol('ALERT_RULES');
