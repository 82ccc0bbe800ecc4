import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Tx } from './transaction-runner.service';

/** Sessions that ended (compact: NOTIFY payloads are limited to 8000 bytes). */
export interface SessionEndedMessage {
  /** How they ended. */
  s: 'revoked' | 'expired';
  /** When, in epoch milliseconds. */
  t: number;
  ids: string[];
}

/** The compact copy of a lifecycle event that crosses the bus to reach a user's devices. */
export interface UserEventMessage {
  id: string;
  type: string;
  occurredAt: string;
  userId: string;
  sessionId?: string;
  deviceId?: string;
  data: unknown;
}

/**
 * A user's account or devices changed in a way their own views show (roles, lock, a device's
 * name or trust): every instance drops what it cached of that user.
 */
export interface UserChangedMessage {
  /** The user id. */
  u: string;
}

/** The signing keys changed (a rotation): every instance re-reads them. */
export interface SigningKeysMessage {
  /** The new key. */
  kid: string;
}

/** Each channel and the message it carries: a wrong channel or payload fails to compile. */
export interface ClusterMessageMap {
  session_ended: SessionEndedMessage;
  user_event: UserEventMessage;
  user_changed: UserChangedMessage;
  signing_keys: SigningKeysMessage;
}

export type ClusterChannel = keyof ClusterMessageMap;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): boolean =>
  value === undefined || (typeof value === 'string' && value.length <= 512);

/**
 * Shape checks for messages from the transport: whoever can NOTIFY on the database or PUBLISH on
 * Redis can put anything there, and a handler must never see (or throw on) a malformed one.
 */
export const CLUSTER_MESSAGE_GUARDS: {
  [C in ClusterChannel]: (value: unknown) => value is ClusterMessageMap[C];
} = {
  session_ended: (value): value is SessionEndedMessage =>
    isObject(value) &&
    (value.s === 'revoked' || value.s === 'expired') &&
    typeof value.t === 'number' &&
    Number.isFinite(value.t) &&
    Array.isArray(value.ids) &&
    value.ids.length <= 10_000 &&
    value.ids.every((id) => typeof id === 'string' && UUID.test(id)),
  user_event: (value): value is UserEventMessage =>
    isObject(value) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    typeof value.occurredAt === 'string' &&
    typeof value.userId === 'string' &&
    UUID.test(value.userId) &&
    optionalString(value.sessionId) &&
    optionalString(value.deviceId) &&
    'data' in value,
  user_changed: (value): value is UserChangedMessage =>
    isObject(value) && typeof value.u === 'string' && UUID.test(value.u),
  signing_keys: (value): value is SigningKeysMessage =>
    isObject(value) && typeof value.kid === 'string' && value.kid.length <= 64,
};

/** Every channel, for the transports to listen on. */
export const CLUSTER_CHANNELS = Object.keys(CLUSTER_MESSAGE_GUARDS) as readonly ClusterChannel[];

export type ClusterHandler<C extends ClusterChannel = ClusterChannel> = (
  message: ClusterMessageMap[C],
) => void;

type AnyHandler = (message: unknown) => void;

/**
 * Fans messages out to every running instance (revocations, live-stream events). Delivery is
 * at-most-once per connection, so subscribers also get `onResync` after a reconnect and rebuild
 * their state from the database.
 */
export abstract class ClusterBus {
  private readonly handlers = new Map<ClusterChannel, AnyHandler[]>();
  /** Tags this bus's own messages, which it has already delivered locally at commit. */
  private readonly instanceTag = randomUUID();
  private readonly resyncHandlers: Array<() => void> = [];
  /** Test-only (CLUSTER_BUS_DROP_PUBLISH): nothing leaves this instance, as if lost. */
  dropOutgoing = false;
  /** Messages from the transport dropped as malformed (wrong frame, JSON or shape). */
  droppedMessages = 0;

  private readonly busLogger = new Logger('ClusterBus');

  subscribe<C extends ClusterChannel>(channel: C, handler: ClusterHandler<C>): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler as AnyHandler]);
  }

  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
  }

  /**
   * Publishes when (and only if) the transaction commits. This instance's own subscribers get
   * the message right after commit; other instances through the transport.
   */
  publishOnCommit<C extends ClusterChannel>(
    tx: Tx,
    channel: C,
    message: ClusterMessageMap[C],
  ): Promise<void> {
    const payload = JSON.stringify(message);
    tx.afterCommit(() => this.deliver(channel, payload));
    return this.dropOutgoing ? Promise.resolve() : this.sendOnCommit(tx, channel, payload);
  }

  /** Publishes now (outside a transaction). */
  publish<C extends ClusterChannel>(channel: C, message: ClusterMessageMap[C]): Promise<void> {
    const payload = JSON.stringify(message);
    this.deliver(channel, payload);
    return this.dropOutgoing ? Promise.resolve() : this.send(channel, payload);
  }

  /** The wire form of a message: the sender's tag, then the payload. */
  protected frame(payload: string): string {
    return `${this.instanceTag}|${payload}`;
  }

  /**
   * Delivers a message from the transport, unless this bus sent it itself. Never throws: a
   * malformed message (unknown channel, bad frame, bad JSON, wrong shape) is dropped and counted.
   */
  protected receive(channel: string, raw: unknown): void {
    if (typeof raw !== 'string' || !Object.hasOwn(CLUSTER_MESSAGE_GUARDS, channel)) {
      return this.drop(channel, 'unknown channel or frame');
    }
    const separator = raw.indexOf('|');
    if (separator < 0) return this.drop(channel, 'no sender tag');
    if (raw.slice(0, separator) === this.instanceTag) return;
    const known = channel as ClusterChannel;
    let message: unknown;
    try {
      message = JSON.parse(raw.slice(separator + 1));
    } catch {
      return this.drop(channel, 'not JSON');
    }
    if (!CLUSTER_MESSAGE_GUARDS[known](message)) return this.drop(channel, 'wrong shape');
    this.deliver(known, raw.slice(separator + 1));
  }

  private drop(channel: string, why: string): void {
    this.droppedMessages += 1;
    this.busLogger.warn(`cluster bus: dropped a malformed message on ${channel} (${why})`);
  }

  /** Each handler gets its own parsed copy, as it would from the transport. */
  protected deliver(channel: ClusterChannel, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(JSON.parse(payload));
      } catch (error) {
        // One failing subscriber must not stop the others or the transport's listener.
        this.busLogger.error(
          `cluster bus: a ${channel} handler failed: ${(error as Error).message}`,
        );
      }
    }
  }

  protected resync(): void {
    for (const handler of this.resyncHandlers) handler();
  }

  protected abstract sendOnCommit(tx: Tx, channel: ClusterChannel, payload: string): Promise<void>;
  protected abstract send(channel: ClusterChannel, payload: string): Promise<void>;
}

/** One process owns the embedded database: local delivery is all there is. */
export class LocalClusterBus extends ClusterBus {
  protected async sendOnCommit(): Promise<void> {}
  protected async send(): Promise<void> {}
}
