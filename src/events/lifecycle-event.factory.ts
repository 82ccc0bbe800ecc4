import { randomUUID } from 'node:crypto';
import type { EventContext, EventDataMap, EventType, LifecycleEvent } from './event-catalog';

/** Builds a published lifecycle event for unit specs: sensible defaults, any field overridable. */
export function makeLifecycleEvent<T extends EventType>(
  type: T,
  data: EventDataMap[T],
  overrides: Partial<EventContext & { id: string; occurredAt: string }> = {},
): LifecycleEvent<T> {
  return {
    id: randomUUID(),
    type,
    occurredAt: '2026-11-26T12:00:00.000Z',
    userId: 'user-1',
    ...overrides,
    data,
  };
}
