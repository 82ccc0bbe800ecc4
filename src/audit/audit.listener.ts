import { Injectable } from '@nestjs/common';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { entryFromEvent } from './audit-entry';
import { AuditService } from './audit.service';

/** Every published lifecycle event becomes one audit record. */
@Injectable()
export class AuditListener {
  constructor(private readonly audit: AuditService) {}

  // A failed append reaches the outbox relay, which retries the event (see OnLifecycleEvent).
  @OnLifecycleEvent('**')
  async onEvent(event: AnyLifecycleEvent): Promise<void> {
    await this.audit.append(entryFromEvent(event));
  }
}
