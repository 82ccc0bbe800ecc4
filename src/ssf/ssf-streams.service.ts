import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../common/app.exception';
import { endpointUrl } from '../auth/oauth/endpoint-url';
import { SecretBox } from '../common/secret-box';
import { assertSafeWebhookUrl } from '../common/webhook-target-guard';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../events/transaction-runner.service';
import { SUPPORTED_EVENTS, verificationEvent } from './caep-events';
import type { StreamDeliveryDto, StreamRequestDto } from './dto/stream.dto';
import { buildSetClaims } from './set-claims';
import { sealAuthorizationHeader } from './ssf-secrets';
import { SsfSignals } from './ssf-signals';
import {
  POLL_DELIVERY,
  PUSH_DELIVERY,
  type SsfDeliveryMethod,
  type SsfStreamEntity,
  type SsfStreamStatus,
} from './ssf-stream.entity';
import { SSF_PATHS } from './ssf-urls';
import { SsfRepository } from './ssf.repository';

/** SSF 1.0 §8.1.1 stream configuration (the answer; never the push credential). */
export interface StreamConfiguration {
  stream_id: string;
  iss: string;
  aud: string;
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  delivery: { method: SsfDeliveryMethod; endpoint_url: string };
  description?: string;
}

export interface StreamStatusView {
  stream_id: string;
  status: SsfStreamStatus;
  reason?: string;
}

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How many streams one client may have. */
export const STREAMS_PER_CLIENT = 20;

/** What the audit log keeps of a stream (never its push credential). */
function streamFacts(stream: SsfStreamEntity): {
  streamId: string;
  deliveryMethod: string;
  endpointUrl: string | null;
  eventsRequested: string[];
} {
  return {
    streamId: stream.id,
    deliveryMethod: stream.deliveryMethod,
    endpointUrl: stream.endpointUrl,
    eventsRequested: stream.eventsRequested,
  };
}

function invalid(field: string, message: string): AppException {
  return new AppException('validation_failed', `${field} ${message}`, {
    errors: [{ field, messages: [message] }],
  });
}

/**
 * Stream management for registered service clients (SSF 1.0 §8.1). Every operation is scoped to
 * the calling client: another client's stream answers 404, exactly like a missing one.
 */
@Injectable()
export class SsfStreamsService {
  constructor(
    private readonly streams: SsfRepository,
    private readonly transactions: TransactionRunner,
    private readonly signals: SsfSignals,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async create(clientId: string, request: StreamRequestDto): Promise<StreamConfiguration> {
    const id = randomUUID();
    const delivery = await this.checkedDelivery(id, request.delivery);
    const stream = await this.transactions.run(async (tx) => {
      if ((await this.streams.countStreams(tx, clientId)) >= STREAMS_PER_CLIENT)
        throw invalid('stream', `limit reached: at most ${STREAMS_PER_CLIENT} streams per client`);
      const now = tx.now();
      const row = this.streams.build(tx, {
        id,
        clientId,
        audience: clientId,
        description: request.description ?? null,
        eventsRequested: [...new Set(request.events_requested ?? [])],
        ...delivery,
        status: 'enabled',
        statusReason: null,
        createdAt: now,
        updatedAt: now,
      });
      await this.streams.insertStream(tx, row);
      await tx.record('ssf.stream_created', {}, { ...streamFacts(row), clientId });
      return row;
    });
    return this.view(stream);
  }

  async get(clientId: string, streamId: string): Promise<StreamConfiguration> {
    return this.view(await this.owned(clientId, streamId));
  }

  async list(clientId: string): Promise<StreamConfiguration[]> {
    return (await this.streams.listStreams(clientId)).map((stream) => this.view(stream));
  }

  /** PATCH changes what the request names; PUT replaces every receiver-supplied member. */
  async update(
    clientId: string,
    streamId: string,
    request: StreamRequestDto,
    mode: 'patch' | 'replace',
  ): Promise<StreamConfiguration> {
    const delivery =
      request.delivery || mode === 'replace'
        ? await this.checkedDelivery(streamId, request.delivery)
        : undefined;
    const stream = await this.transactions.run(async (tx) => {
      const row = await this.streams.lockStream(tx, clientId, streamId);
      if (!row) throw new AppException('not_found', 'No such stream');
      if (mode === 'replace' || request.events_requested)
        row.eventsRequested = [...new Set(request.events_requested ?? [])];
      if (mode === 'replace' || request.description !== undefined)
        row.description = request.description ?? null;
      if (delivery) Object.assign(row, delivery);
      row.updatedAt = tx.now();
      await this.streams.saveStream(tx, row);
      await tx.record('ssf.stream_updated', {}, { ...streamFacts(row), clientId });
      return row;
    });
    return this.view(stream);
  }

  async remove(clientId: string, streamId: string): Promise<void> {
    const deleted = await this.transactions.run(async (tx) => {
      const gone = await this.streams.deleteStream(tx, clientId, streamId);
      if (gone) await tx.record('ssf.stream_deleted', {}, { streamId, clientId });
      return gone;
    });
    if (!deleted) throw new AppException('not_found', 'No such stream');
  }

  async status(clientId: string, streamId: string): Promise<StreamStatusView> {
    return this.statusView(await this.owned(clientId, streamId));
  }

  /** enabled delivers (held SETs too) · paused holds new SETs · disabled drops undelivered ones. */
  async setStatus(
    clientId: string,
    streamId: string,
    status: SsfStreamStatus,
    reason: string | undefined,
  ): Promise<StreamStatusView> {
    const stream = await this.transactions.run(async (tx) => {
      const row = await this.streams.lockStream(tx, clientId, streamId);
      if (!row) throw new AppException('not_found', 'No such stream');
      row.status = status;
      row.statusReason = reason ?? null;
      row.updatedAt = tx.now();
      await this.streams.saveStream(tx, row);
      if (status === 'disabled') await this.streams.dropUndelivered(tx, streamId);
      await tx.record('ssf.stream_status_changed', {}, { streamId, clientId, status });
      return row;
    });
    if (status === 'enabled') this.signals.queued([streamId]);
    return this.statusView(stream);
  }

  /** Queues a verification SET carrying `state` (SSF 1.0 §8.1.4); it travels like any other. */
  async verify(clientId: string, streamId: string, state: string | undefined): Promise<void> {
    const stream = await this.owned(clientId, streamId);
    if (stream.status === 'disabled') throw invalid('stream_id', 'names a disabled stream');
    const queued = await this.transactions.run(async (tx) => {
      const jti = randomUUID();
      const event = verificationEvent(streamId, state);
      return this.streams.insertSets(tx, [
        {
          streamId,
          outboxEventId: null,
          jti,
          eventType: event.eventType,
          claims: buildSetClaims({
            issuer: this.config.jwt.issuer,
            audience: stream.audience,
            jti,
            issuedAt: tx.now(),
            event,
          }),
          createdAt: tx.now(),
        },
      ]);
    });
    this.signals.queued(queued);
  }

  /**
   * Adds a subject back to the stream or removes it (SSF 1.0 §8.1.3). Every user is in every
   * stream by default, so only removals are stored.
   */
  async changeSubject(
    clientId: string,
    streamId: string,
    subject: Record<string, unknown>,
    change: 'add' | 'remove',
  ): Promise<void> {
    const userId = this.userOf(subject);
    await this.owned(clientId, streamId);
    await this.transactions.run(async (tx) => {
      if (change === 'remove') await this.streams.excludeSubject(tx, streamId, userId, tx.now());
      else await this.streams.includeSubject(tx, streamId, userId);
      await tx.record('ssf.subject_changed', {}, { streamId, clientId, change, subject: userId });
    });
  }

  /** The user an `iss_sub` subject of this issuer names; other formats are refused. */
  private userOf(subject: Record<string, unknown>): string {
    const { format, iss, sub } = subject;
    if (format !== 'iss_sub')
      throw invalid('subject.format', 'must be iss_sub (the only format this transmitter has)');
    if (iss !== this.config.jwt.issuer)
      throw invalid('subject.iss', `must be this transmitter's issuer (${this.config.jwt.issuer})`);
    if (typeof sub !== 'string' || !USER_ID.test(sub))
      throw invalid('subject.sub', 'must be a user id (a UUID)');
    return sub;
  }

  /** The caller's stream, or 404. */
  async owned(clientId: string, streamId: string): Promise<SsfStreamEntity> {
    const stream = await this.streams.findStream(clientId, streamId);
    if (!stream) throw new AppException('not_found', 'No such stream');
    return stream;
  }

  /**
   * The delivery columns for a request: poll by default; push needs an endpoint that passes the
   * webhook SSRF rules now (and again at every push) and may carry an Authorization header,
   * which is sealed. A changed delivery never keeps an old credential.
   */
  private async checkedDelivery(
    streamId: string,
    delivery: StreamDeliveryDto | undefined,
  ): Promise<Pick<SsfStreamEntity, 'deliveryMethod' | 'endpointUrl' | 'authorizationHeader'>> {
    const method = delivery?.method ?? POLL_DELIVERY;
    if (method === POLL_DELIVERY) {
      const ours = this.pollUrl(streamId);
      if (delivery?.endpoint_url !== undefined && delivery.endpoint_url !== ours)
        throw invalid('delivery.endpoint_url', 'is supplied by the transmitter for poll delivery');
      if (delivery?.authorization_header !== undefined)
        throw invalid('delivery.authorization_header', 'applies to push delivery only');
      return { deliveryMethod: POLL_DELIVERY, endpointUrl: null, authorizationHeader: null };
    }
    if (!delivery?.endpoint_url)
      throw invalid('delivery.endpoint_url', 'is required for push delivery');
    try {
      await assertSafeWebhookUrl(delivery.endpoint_url, this.config.webhookTargets);
    } catch (error) {
      if (error instanceof AppException)
        throw new AppException('validation_failed', error.detail?.replace('Webhook', 'Endpoint'), {
          errors: [
            {
              field: 'delivery.endpoint_url',
              messages: error.extras.errors?.flatMap((e) => e.messages) ?? [],
            },
          ],
        });
      throw error;
    }
    return {
      deliveryMethod: PUSH_DELIVERY,
      endpointUrl: delivery.endpoint_url,
      authorizationHeader:
        delivery.authorization_header === undefined
          ? null
          : sealAuthorizationHeader(this.box, streamId, delivery.authorization_header),
    };
  }

  private pollUrl(streamId: string): string {
    return endpointUrl(this.config, SSF_PATHS.poll(streamId));
  }

  private view(stream: SsfStreamEntity): StreamConfiguration {
    return {
      stream_id: stream.id,
      iss: this.config.jwt.issuer,
      aud: stream.audience,
      events_supported: [...SUPPORTED_EVENTS],
      events_requested: stream.eventsRequested,
      events_delivered: stream.eventsRequested.filter((type) => SUPPORTED_EVENTS.includes(type)),
      delivery: {
        method: stream.deliveryMethod,
        endpoint_url:
          stream.deliveryMethod === PUSH_DELIVERY && stream.endpointUrl
            ? stream.endpointUrl
            : this.pollUrl(stream.id),
      },
      ...(stream.description !== null ? { description: stream.description } : {}),
    };
  }

  private statusView(stream: SsfStreamEntity): StreamStatusView {
    return {
      stream_id: stream.id,
      status: stream.status,
      ...(stream.statusReason !== null ? { reason: stream.statusReason } : {}),
    };
  }
}
