import type { AlertView } from './alert-view';

/**
 * A delivery channel for raised alerts: a provider registered through
 * `AlertingModule.forRoot({ channels: [MyChannel] })`. Called once per alert, after the alert
 * has committed (at least once: if `deliver` throws or times out, only the channels that have
 * not yet succeeded are retried, with backoff). Keep it quick; hand slow work to a queue of your
 * own, as the webhook channel does.
 */
export abstract class AlertChannel {
  /** Stable identifier, stored per delivered alert (e.g. `webhook`, `pagerduty`). */
  abstract readonly name: string;
  abstract deliver(alert: AlertView): Promise<void>;
}

/** Multi-provider token: every registered channel instance. */
export const ALERT_CHANNELS = Symbol('ALERT_CHANNELS');
