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

/** Each channel and the message it carries: a wrong channel or payload fails to compile. */
export interface ClusterMessageMap {
  session_ended: SessionEndedMessage;
  user_event: UserEventMessage;
}

export type ClusterChannel = keyof ClusterMessageMap;

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
    return this.sendOnCommit(tx, channel, payload);
  }

  /** Publishes now (outside a transaction). */
  publish<C extends ClusterChannel>(channel: C, message: ClusterMessageMap[C]): Promise<void> {
    const payload = JSON.stringify(message);
    this.deliver(channel, payload);
    return this.send(channel, payload);
  }

  /** The wire form of a message: the sender's tag, then the payload. */
  protected frame(payload: string): string {
    return `${this.instanceTag}|${payload}`;
  }

  /** Delivers a message from the transport, unless this bus sent it itself. */
  protected receive(channel: ClusterChannel, raw: string): void {
    const separator = raw.indexOf('|');
    if (separator < 0 || raw.slice(0, separator) === this.instanceTag) return;
    this.deliver(channel, raw.slice(separator + 1));
  }

  /** Each handler gets its own parsed copy, as it would from the transport. */
  protected deliver(channel: ClusterChannel, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(JSON.parse(payload));
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
