import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newestFirstPage, type Page } from '../common/keyset-cursor';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import type { AlertSeverity } from './alert.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEntity } from './webhook.entity';

export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  alert_id: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secret: string;
}

export interface DeliveryResult {
  status: 'pending' | 'failed';
  nextAttemptAt: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** webhooks (registrations) and webhook_deliveries (the delivery queue). */
@Injectable()
export class WebhookRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  build(tx: Tx, fields: Partial<WebhookEntity>): WebhookEntity {
    return tx.manager.getRepository(WebhookEntity).create(fields);
  }

  async insert(tx: Tx, hook: WebhookEntity): Promise<void> {
    await tx.manager.insert(WebhookEntity, hook);
  }

  page(page: { limit: number; cursor?: string }): Promise<Page<WebhookEntity>> {
    return newestFirstPage(
      this.dataSource.getRepository(WebhookEntity).createQueryBuilder('w'),
      'w',
      page,
    );
  }

  exists(id: string): Promise<boolean> {
    return this.dataSource.getRepository(WebhookEntity).existsBy({ id });
  }

  /** One webhook's deliveries, newest first: the support view of what was sent and how it went. */
  deliveriesPage(
    webhookId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<WebhookDeliveryEntity>> {
    const qb = this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .where('d.webhook_id = :webhookId', { webhookId });
    return newestFirstPage(qb, 'd', page);
  }

  /** Webhooks whose secret is still plaintext (written before sealing), locked for re-sealing. */
  lockPlaintextSecrets(tx: Tx, prefix: string): Promise<Array<{ id: string; secret: string }>> {
    return tx.manager.query(
      `SELECT id, secret FROM webhooks WHERE starts_with(secret, $1) ORDER BY id FOR UPDATE`,
      [prefix],
    );
  }

  async setSecret(tx: Tx, id: string, secret: string): Promise<void> {
    await tx.manager.query(`UPDATE webhooks SET secret = $2 WHERE id = $1`, [id, secret]);
  }

  /** Deletes the webhook (its queued deliveries go with it, FK cascade); false if none. */
  async delete(tx: Tx, id: string): Promise<boolean> {
    const result = await tx.manager.delete(WebhookEntity, { id });
    return Boolean(result.affected);
  }

  /** Queues one delivery per active webhook that wants one of `severities`; idempotent. */
  async enqueue(
    tx: Tx,
    alertId: string,
    payload: unknown,
    severities: readonly AlertSeverity[],
  ): Promise<number> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `INSERT INTO webhook_deliveries (webhook_id, alert_id, payload, status, attempts, next_attempt_at, created_at)
       SELECT w.id, $1, $2, 'pending', 0, $3, $3 FROM webhooks w WHERE w.active AND w.min_severity = ANY($4)
       ON CONFLICT (webhook_id, alert_id) DO NOTHING RETURNING id`,
      [alertId, JSON.stringify(payload), tx.now(), severities],
    );
    return rows.length;
  }

  /** Claims due deliveries with a lease (SKIP LOCKED: instances share the queue). */
  claim(
    tx: Tx,
    now: Date,
    leaseUntil: Date,
    limit: number,
    skipWebhooks: readonly string[],
  ): Promise<ClaimedDelivery[]> {
    return queryReturning<ClaimedDelivery>(
      tx.manager,
      `UPDATE webhook_deliveries d SET claimed_until = $2, attempts = d.attempts + 1
         FROM webhooks w
        WHERE w.id = d.webhook_id AND d.id IN (
          SELECT id FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
             AND webhook_id <> ALL($4::uuid[])
           ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.webhook_id, d.alert_id, d.payload, d.attempts, w.url, w.secret`,
      [now, leaseUntil, limit, skipWebhooks],
    );
  }

  /** Gives claimed rows back untried. */
  async unclaim(tx: Tx, ids: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE webhook_deliveries SET claimed_until = NULL, attempts = attempts - 1 WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  async markDelivered(
    tx: Tx,
    id: string,
    at: Date,
    statusCode: number | null,
    durationMs: number,
  ): Promise<void> {
    await tx.manager.query(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2, claimed_until = NULL,
         last_status_code = $3, last_error = NULL, last_duration_ms = $4 WHERE id = $1`,
      [id, at, statusCode, durationMs],
    );
  }

  async markFailedAttempt(tx: Tx, id: string, result: DeliveryResult): Promise<void> {
    await tx.manager.query(
      `UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, claimed_until = NULL,
         last_status_code = $4, last_error = $5, last_duration_ms = $6 WHERE id = $1`,
      [id, result.status, result.nextAttemptAt, result.statusCode, result.error, result.durationMs],
    );
  }
}
