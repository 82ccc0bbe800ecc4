import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { entryFromEvent } from './audit-entry';
import { AuditService } from './audit.service';

/** Every published lifecycle event becomes one audit record. */
@Injectable()
export class AuditListener {
  constructor(private readonly audit: AuditService) {}

  // suppressErrors: false lets a failed append reach the outbox relay, which then retries the
  // event; by default @OnEvent would log the error and the record would be lost.
  @OnEvent('**', { suppressErrors: false })
  async onEvent(event: AnyLifecycleEvent): Promise<void> {
    await this.audit.append(entryFromEvent(event));
  }
}
