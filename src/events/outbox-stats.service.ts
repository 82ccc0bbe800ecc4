import { Injectable } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';

/** What operators may read about the outbox (metrics), without reaching its table. */
@Injectable()
export class OutboxStats {
  constructor(private readonly outbox: OutboxRepository) {}

  /** Committed events not yet published. */
  pendingCount(): Promise<number> {
    return this.outbox.countPending();
  }
}
