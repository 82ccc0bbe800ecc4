export interface BurstThreshold {
  /** Alert when this many events … */
  count: number;
  /** … occur within this window. */
  windowMs: number;
}

export interface WebhookSettings {
  /** Per request: a hanging receiver is given up after this long. */
  timeoutMs: number;
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** First retry delay; doubles on every further attempt (capped at one hour). */
  backoffBaseMs: number;
  /** Deliveries in flight at once per instance. */
  concurrency: number;
  /** Deliveries in flight at once per webhook, so one slow receiver cannot take every slot. */
  perWebhookConcurrency: number;
}

/** Resolved alerting settings (module options over these defaults). */
export class AlertingSettings {
  failedLoginsPerAccount: BurstThreshold = { count: 5, windowMs: 10 * 60_000 };
  failedLoginsPerIp: BurstThreshold = { count: 20, windowMs: 10 * 60_000 };
  /** How long a channel's deliver() may take before it counts as failed. */
  channelTimeoutMs = 5_000;
  webhooks: WebhookSettings = {
    timeoutMs: 5_000,
    maxAttempts: 8,
    backoffBaseMs: 10_000,
    concurrency: 16,
    perWebhookConcurrency: 4,
  };
}
