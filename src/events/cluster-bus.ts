import { randomUUID } from 'node:crypto';
import type { Tx } from './transaction-runner.service';

export type ClusterChannel = 'session_ended' | 'user_event';

export type ClusterHandler = (payload: string) => void;

/**
 * Fans messages out to every running instance (revocations, live-stream events). Delivery is
 * at-most-once per connection, so subscribers also get `onResync` after a reconnect and rebuild
 * their state from the database.
 */
export abstract class ClusterBus {
  private readonly handlers = new Map<ClusterChannel, ClusterHandler[]>();
  /** Tags this bus's own messages, which it has already delivered locally at commit. */
  private readonly instanceTag = randomUUID();
  private readonly resyncHandlers: Array<() => void> = [];

  subscribe(channel: ClusterChannel, handler: ClusterHandler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
  }

  /**
   * Publishes when (and only if) the transaction commits. This instance's own subscribers get
   * the message right after commit; other instances through the transport.
   */
  publishOnCommit(tx: Tx, channel: ClusterChannel, payload: string): Promise<void> {
    tx.afterCommit(() => this.deliver(channel, payload));
    return this.sendOnCommit(tx, channel, payload);
  }

  /** Publishes now (outside a transaction). */
  publish(channel: ClusterChannel, payload: string): Promise<void> {
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

  protected deliver(channel: ClusterChannel, payload: string): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(payload);
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
