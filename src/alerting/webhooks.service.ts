import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Clock } from '../common/clock';
import { newestFirstPage, type Page } from '../common/keyset-cursor';
import { AppConfig } from '../config/app-config';
import type { AlertSeverity } from './alert.entity';
import { type AlertView, SEVERITY_RANK } from './alert-view';
import { WebhookEntity } from './webhook.entity';
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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async create(input: NewWebhook, actorId: string): Promise<CreatedWebhookView> {
    // SSRF: refuse internal targets now; the worker checks again (and pins) at each delivery.
    await assertSafeWebhookUrl(input.url, this.config.webhookTargets);
    const repo = this.dataSource.getRepository(WebhookEntity);
    const hook = repo.create({
      url: input.url,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      description: input.description ?? null,
      minSeverity: input.minSeverity ?? 'low',
      active: true,
      createdAt: this.clock.now(),
      createdBy: actorId,
    });
    await repo.insert(hook);
    return { ...toView(hook), secret: hook.secret };
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<WebhookView>> {
    const qb = this.dataSource.getRepository(WebhookEntity).createQueryBuilder('w');
    const { items, nextCursor } = await newestFirstPage(qb, 'w', page);
    return { items: items.map(toView), nextCursor };
  }

  /** Deletes the webhook; its queued deliveries go with it (FK cascade). */
  async remove(id: string): Promise<void> {
    const result = await this.dataSource.getRepository(WebhookEntity).delete({ id });
    if (!result.affected) throw new AppException('not_found', 'Webhook not found');
  }

  /** Queues one delivery of the alert per active webhook that wants its severity; idempotent. */
  async enqueue(alert: AlertView): Promise<number> {
    const severities = (Object.keys(SEVERITY_RANK) as AlertSeverity[]).filter(
      (severity) => SEVERITY_RANK[severity] <= SEVERITY_RANK[alert.severity],
    );
    const payload = { type: 'alert.raised', alert };
    const now = this.clock.now();
    const rows = (await this.dataSource.query(
      `INSERT INTO webhook_deliveries (webhook_id, alert_id, payload, status, attempts, next_attempt_at, created_at)
       SELECT w.id, $1, $2, 'pending', 0, $3, $3 FROM webhooks w WHERE w.active AND w.min_severity = ANY($4)
       ON CONFLICT (webhook_id, alert_id) DO NOTHING RETURNING id`,
      [alert.id, JSON.stringify(payload), now, severities],
    )) as unknown;
    return Array.isArray(rows) ? rows.length : 0;
  }
}
