import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import type { EventContext, EventDataMap, EventType, LifecycleEvent } from './event-catalog';
import { insertOutboxEvents } from './outbox.repository';

/**
 * One database transaction plus the lifecycle events it produces. Events are written to the
 * outbox inside the transaction, so nothing is announced that did not commit and nothing that
 * committed is lost. They are written together just before COMMIT (flushEvents), so a login's
 * three events or a bulk revocation's hundred cost one statement.
 */
export class Tx {
  readonly events: LifecycleEvent[] = [];
  readonly commitHooks: Array<() => void> = [];
  private unwritten: LifecycleEvent[] = [];

  constructor(
    readonly manager: EntityManager,
    private readonly clock: Clock,
  ) {}

  now(): Date {
    return this.clock.now();
  }

  async record<T extends EventType>(
    type: T,
    context: EventContext,
    data: EventDataMap[T],
  ): Promise<LifecycleEvent<T>> {
    const event: LifecycleEvent<T> = {
      id: randomUUID(),
      type,
      occurredAt: this.clock.now().toISOString(),
      ...dropUndefined(context),
      data,
    };
    this.unwritten.push(event);
    this.events.push(event);
    return event;
  }

  /** Writes the events recorded so far to the outbox; the runner calls it before COMMIT. */
  async flushEvents(): Promise<void> {
    const events = this.unwritten;
    this.unwritten = [];
    if (events.length > 0) await insertOutboxEvents(this.manager, events);
  }

  /** Runs after a successful commit (e.g. apply a revocation to this instance's view at once). */
  afterCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export interface RunOptions {
  /** For consistent multi-statement reads (e.g. the audit chain check). Default: READ COMMITTED. */
  isolation?: 'REPEATABLE READ' | 'SERIALIZABLE';
}

@Injectable()
export class TransactionRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  private readonly eventsCommitted: Array<() => void> = [];

  /** Called after every commit that recorded events (the outbox relay drains then). */
  onEventsCommitted(listener: () => void): void {
    this.eventsCommitted.push(listener);
  }

  async run<T>(work: (tx: Tx) => Promise<T>, options: RunOptions = {}): Promise<T> {
    let tx!: Tx;
    const body = async (manager: EntityManager): Promise<T> => {
      tx = new Tx(manager, this.clock);
      const result = await work(tx);
      await tx.flushEvents();
      return result;
    };
    const result = options.isolation
      ? await this.dataSource.transaction(options.isolation, body)
      : await this.dataSource.transaction(body);
    for (const hook of tx.commitHooks) hook();
    if (tx.events.length > 0) for (const listener of this.eventsCommitted) listener();
    return result;
  }
}
