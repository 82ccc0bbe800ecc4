import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/keyset-cursor';
import { TransactionRunner } from '../events/transaction-runner.service';
import type { AlertSeverity } from './alert.entity';
import { type AlertView, SEVERITY_RANK } from './alert-view';
import type { WebhookEntity } from './webhook.entity';
import { WebhookRepository } from './webhook.repository';
import { AppConfig } from '../config/app-config';
import { assertSafeWebhookUrl } from './webhook-target-guard';

export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  minSeverity: AlertSeverity;
  active: boolean;
  createdAt: string;
}

/** Returned once, at creation: the only time the signing secret is shown. */
export interface CreatedWebhookView extends WebhookView {
  secret: string;
}

export interface NewWebhook {
  url: string;
  description?: string;
  minSeverity?: AlertSeverity;
}

function toView(hook: WebhookEntity): WebhookView {
  return {
    id: hook.id,
    url: hook.url,
    description: hook.description,
    minSeverity: hook.minSeverity,
    active: hook.active,
    createdAt: hook.createdAt.toISOString(),
  };
}

/** Webhook registrations and the enqueueing of deliveries. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly transactions: TransactionRunner,
    private readonly config: AppConfig,
  ) {}

  async create(input: NewWebhook, actorId: string): Promise<CreatedWebhookView> {
    // SSRF: refuse internal targets now; the worker checks again (and pins) at each delivery.
    await assertSafeWebhookUrl(input.url, this.config.webhookTargets);
    const hook = await this.transactions.run(async (tx) => {
      const created = this.webhooks.build(tx, {
        url: input.url,
        secret: `whsec_${randomBytes(32).toString('base64url')}`,
        description: input.description ?? null,
        minSeverity: input.minSeverity ?? 'low',
        active: true,
        createdAt: tx.now(),
        createdBy: actorId,
      });
      await this.webhooks.insert(tx, created);
      return created;
    });
    return { ...toView(hook), secret: hook.secret };
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<WebhookView>> {
    const { items, nextCursor } = await this.webhooks.page(page);
    return { items: items.map(toView), nextCursor };
  }

  /** Deletes the webhook; its queued deliveries go with it (FK cascade). */
  async remove(id: string): Promise<void> {
    const deleted = await this.transactions.run((tx) => this.webhooks.delete(tx, id));
    if (!deleted) throw new AppException('not_found', 'Webhook not found');
  }

  /** Queues one delivery of the alert per active webhook that wants its severity; idempotent. */
  async enqueue(alert: AlertView): Promise<number> {
    const severities = (Object.keys(SEVERITY_RANK) as AlertSeverity[]).filter(
      (severity) => SEVERITY_RANK[severity] <= SEVERITY_RANK[alert.severity],
    );
    const payload = { type: 'alert.raised', alert };
    return this.transactions.run((tx) => this.webhooks.enqueue(tx, alert.id, payload, severities));
  }
}
