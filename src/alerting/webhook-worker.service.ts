import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { SecretBox } from '../common/secret-box';
import { DeliveryPump, type InFlightDelivery } from '../common/delivery-pump';
import { TransactionRunner } from '../events/transaction-runner.service';
import { AppConfig } from '../config/app-config';
import { AlertingSettings } from './alerting-settings';
import { postToWebhook } from '../common/pinned-webhook-client';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature';
import { type ClaimedDelivery, WebhookRepository } from './webhook.repository';
import { openWebhookSecret } from './webhooks.service';

interface Outcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const LEASE_MARGIN_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;

/** A webhook delivery under way, with the webhook it counts against. */
interface WebhookDelivery extends InFlightDelivery {
  webhookId: string;
}

/**
 * Works off the webhook_deliveries queue in the background, so no request ever waits on a
 * receiver. Rows are claimed with a lease (SKIP LOCKED: instances share the queue, and a crash
 * only delays a delivery); each request has a timeout, at most `concurrency` run at once, and
 * a slot frees as soon as its own request ends, so one hanging receiver cannot hold up the rest.
 */
@Injectable()
export class WebhookWorker extends DeliveryPump<WebhookDelivery> {
  constructor(
    private readonly deliveries: WebhookRepository,
    private readonly transactions: TransactionRunner,
    private readonly settings: AlertingSettings,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly box: SecretBox,
  ) {
    super(WebhookWorker.name);
  }

  protected async pump(): Promise<void> {
    while (!this.stopped) {
      const free = this.settings.webhooks.concurrency - this.inFlight.size;
      if (free <= 0) return;
      const rows = await this.claim(free);
      const overflow: string[] = [];
      for (const row of rows) {
        if (this.inFlightFor(row.webhook_id) < this.settings.webhooks.perWebhookConcurrency)
          this.start(row);
        else overflow.push(row.id);
      }
      if (overflow.length > 0) await this.unclaim(overflow);
      // Saturated webhooks are excluded from the next claim, so this loop ends.
      if (rows.length < free) return;
    }
  }

  private inFlightFor(webhookId: string): number {
    let count = 0;
    for (const entry of this.inFlight.values()) if (entry.webhookId === webhookId) count += 1;
    return count;
  }

  /** One claim can hold more of a webhook's rows than its limit allows: give those back. */
  private async unclaim(ids: string[]): Promise<void> {
    await this.transactions.run((tx) => this.deliveries.unclaim(tx, ids));
  }

  /** Webhooks already at their in-flight limit on this instance: skipped by the next claim. */
  private saturatedWebhooks(): string[] {
    const counts = new Map<string, number>();
    for (const { webhookId } of this.inFlight.values())
      counts.set(webhookId, (counts.get(webhookId) ?? 0) + 1);
    const limit = this.settings.webhooks.perWebhookConcurrency;
    return [...counts].filter(([, count]) => count >= limit).map(([id]) => id);
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.clock.now();
    const lease = new Date(now.getTime() + this.settings.webhooks.timeoutMs + LEASE_MARGIN_MS);
    return this.transactions.run((tx) =>
      this.deliveries.claim(tx, now, lease, limit, this.saturatedWebhooks()),
    );
  }

  private start(row: ClaimedDelivery): void {
    const abort = new AbortController();
    const done = this.attempt(row, abort.signal)
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.inFlight.delete(row.id);
        this.kick();
      });
    this.inFlight.set(row.id, { webhookId: row.webhook_id, abort, done });
  }

  private async attempt(row: ClaimedDelivery, shutdown: AbortSignal): Promise<void> {
    const outcome = await this.send(row, shutdown);
    if (shutdown.aborted) return;
    if (outcome.ok) {
      await this.transactions.run((tx) =>
        this.deliveries.markDelivered(
          tx,
          row.id,
          this.clock.now(),
          outcome.statusCode,
          outcome.durationMs,
        ),
      );
      return;
    }
    const { maxAttempts, backoffBaseMs } = this.settings.webhooks;
    const giveUp = row.attempts >= maxAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, backoffBaseMs * 2 ** (row.attempts - 1));
    await this.transactions.run((tx) =>
      this.deliveries.markFailedAttempt(tx, row.id, {
        status: giveUp ? 'failed' : 'pending',
        nextAttemptAt: new Date(this.clock.nowMs() + delay),
        statusCode: outcome.statusCode,
        error: outcome.error?.slice(0, 500) ?? null,
        durationMs: outcome.durationMs,
      }),
    );
    if (giveUp)
      this.logger.warn(`webhook delivery ${row.id} failed for good after ${row.attempts} attempts`);
  }

  private async send(row: ClaimedDelivery, shutdown: AbortSignal): Promise<Outcome> {
    const body = JSON.stringify({ id: row.id, ...row.payload });
    const timestamp = Math.floor(this.clock.nowMs() / 1000);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      // Re-checked and pinned to the checked address (DNS rebinding); redirects not followed.
      const status = await postToWebhook(
        row.url,
        {
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'Tessera-Webhooks/1',
            'X-Tessera-Event': 'alert.raised',
            'X-Tessera-Delivery': row.id,
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signWebhook(
              openWebhookSecret(this.box, row.webhook_id, row.secret),
              timestamp,
              body,
            ),
          },
          body,
          signal: AbortSignal.any([
            shutdown,
            AbortSignal.timeout(this.settings.webhooks.timeoutMs),
          ]),
        },
        this.config.webhookTargets,
      );
      const ok = status >= 200 && status < 300;
      return {
        ok,
        statusCode: status,
        error: ok ? null : `HTTP ${status}`,
        durationMs: elapsed(),
      };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const message =
        name === 'TimeoutError'
          ? 'timeout'
          : error instanceof Error
            ? error.message
            : String(error);
      return { ok: false, statusCode: null, error: message, durationMs: elapsed() };
    }
  }
}
