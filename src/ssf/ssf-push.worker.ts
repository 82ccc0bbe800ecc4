import { Injectable } from '@nestjs/common';
import { ServiceClientRepository } from '../auth/oauth/service-client.repository';
import { JwtSigner } from '../auth/tokens/jwt-signer';
import { DeliveryPump } from '../common/delivery-pump';
import { Clock } from '../common/clock';
import { describeError } from '../common/describe-error';
import { postPinned } from '../common/pinned-webhook-client';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import { RELAY_OWNER_TIMEOUT_SECONDS, RelayHeartbeat } from '../events/relay-heartbeat.service';
import { TransactionRunner } from '../events/transaction-runner.service';
import { SET_TYPE } from './set-claims';
import { openAuthorizationHeader } from './ssf-secrets';
import { SsfSignals } from './ssf-signals';
import { type ClaimedPush, SsfRepository } from './ssf.repository';

const LEASE_MARGIN_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const CONCURRENCY = 16;

/** How one push ended (RFC 8935 §2.2–2.4). */
export type PushOutcome =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'refused'; statusCode: number | null; error: string }
  | { kind: 'retry'; statusCode: number | null; error: string };

/**
 * RFC 8935's reading of an answer: 2xx delivered; 400 refused for good, with the receiver's
 * `{err, description}` when it sent one; anything else (other statuses) is worth a retry.
 */
export function classifyPushAnswer(status: number, body: string): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', statusCode: status };
  if (status === 400) {
    let error = 'HTTP 400';
    try {
      const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
      if (typeof parsed.err === 'string') {
        error =
          typeof parsed.description === 'string'
            ? `${parsed.err}: ${parsed.description}`
            : parsed.err;
      }
    } catch {
      // not the RFC's JSON: the status alone says the SET was refused
    }
    return { kind: 'refused', statusCode: status, error };
  }
  return { kind: 'retry', statusCode: status, error: `HTTP ${status}` };
}

/**
 * Pushes SETs to receivers (RFC 8935) in the background. SETs are claimed with this instance's
 * relay id and a lease, so two instances never push one SET at once and a dead instance's claims
 * are taken over (see SsfRepository.claimPushes). A SET is marked delivered in the transaction
 * that records the receiver's 2xx; a crash between that answer and the commit re-sends the
 * identical SET (same claims and jti), which receivers de-duplicate by jti.
 */
@Injectable()
export class SsfPushWorker extends DeliveryPump {
  constructor(
    private readonly sets: SsfRepository,
    private readonly transactions: TransactionRunner,
    private readonly heartbeat: RelayHeartbeat,
    private readonly signer: JwtSigner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly box: SecretBox,
    private readonly clients: ServiceClientRepository,
    signals: SsfSignals,
  ) {
    super(SsfPushWorker.name);
    signals.onQueued(() => this.kick());
  }

  protected async pump(): Promise<void> {
    while (!this.stopped) {
      const free = CONCURRENCY - this.inFlight.size;
      if (free <= 0) return;
      await this.heartbeat.registered();
      const now = this.clock.now();
      const lease = new Date(now.getTime() + this.config.ssf.pushTimeoutMs + LEASE_MARGIN_MS);
      const rows = await this.transactions.run((tx) =>
        this.sets.claimPushes(
          tx,
          this.heartbeat.instanceId,
          now,
          lease,
          free,
          RELAY_OWNER_TIMEOUT_SECONDS,
        ),
      );
      for (const row of rows) this.start(row);
      if (rows.length < free) return;
    }
  }

  private start(row: ClaimedPush): void {
    const abort = new AbortController();
    const done = this.attempt(row, abort.signal)
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.inFlight.delete(row.id);
      });
    this.inFlight.set(row.id, { abort, done });
  }

  private async attempt(row: ClaimedPush, shutdown: AbortSignal): Promise<void> {
    // A disabled client's receiver gets nothing more, though its streams are still stored.
    const outcome: PushOutcome = (await this.clients.findActive(row.client_id))
      ? await this.send(row, shutdown)
      : { kind: 'refused', statusCode: null, error: 'the service client is disabled' };
    if (shutdown.aborted) return;
    if (outcome.kind === 'delivered') {
      await this.transactions.run((tx) =>
        this.sets.markDelivered(tx, row.id, this.clock.now(), outcome.statusCode),
      );
      return;
    }
    const { maxAttempts, retryBaseMs } = this.config.ssf;
    const giveUp = outcome.kind === 'refused' || row.attempts >= maxAttempts;
    const delay = Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** Math.min(row.attempts - 1, 20));
    await this.transactions.run((tx) =>
      this.sets.markPushFailed(tx, row.id, {
        status: giveUp ? 'failed' : 'pending',
        nextAttemptAt: new Date(this.clock.nowMs() + delay),
        statusCode: outcome.statusCode,
        error: outcome.error,
      }),
    );
    if (giveUp)
      this.logger.warn(
        `SET ${row.jti} of stream ${row.stream_id} failed for good after ${row.attempts} attempt(s): ${outcome.error}`,
      );
  }

  private async send(row: ClaimedPush, shutdown: AbortSignal): Promise<PushOutcome> {
    try {
      const headers: Record<string, string> = {
        'Content-Type': `application/${SET_TYPE}`,
        Accept: 'application/json',
        'User-Agent': 'Tessera-SSF/1',
      };
      if (row.authorization_header)
        headers.Authorization = openAuthorizationHeader(
          this.box,
          row.stream_id,
          row.authorization_header,
        );
      const answer = await postPinned(
        row.endpoint_url,
        {
          headers,
          body: this.signer.sign(SET_TYPE, row.claims),
          signal: AbortSignal.any([shutdown, AbortSignal.timeout(this.config.ssf.pushTimeoutMs)]),
        },
        this.config.webhookTargets,
      );
      return classifyPushAnswer(answer.status, answer.body);
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return {
        kind: 'retry',
        statusCode: null,
        error: timedOut ? 'timeout' : describeError(error),
      };
    }
  }
}
