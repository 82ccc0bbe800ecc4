import { Injectable } from '@nestjs/common';
import type { Tx } from '../events/transaction-runner.service';
import { ActivityTracker } from './activity-tracker.service';
import { RefreshTokenRepository } from './refresh-token.repository';
import { type EndedStatus, RevocationView } from './revocation-view.service';

/**
 * What every ended session needs, revoked or expired, inside the ending transaction: its
 * refresh tokens dead (including a sealed grace successor), no pending activity write, and the
 * news on every instance once the transaction commits.
 */
@Injectable()
export class SessionEndings {
  constructor(
    private readonly activity: ActivityTracker,
    private readonly revocations: RevocationView,
    private readonly tokens: RefreshTokenRepository,
  ) {}

  /**
   * `tokensRevoked`: the ending statement already killed the refresh tokens (revocation does,
   * in the same statement), so no second statement is needed here.
   */
  async settle(
    tx: Tx,
    sessionIds: readonly string[],
    status: EndedStatus,
    options: { tokensRevoked?: boolean } = {},
  ): Promise<void> {
    if (sessionIds.length === 0) return;
    if (!options.tokensRevoked) await this.tokens.revokeForSessions(tx, sessionIds);
    for (const id of sessionIds) this.activity.forget(id);
    await this.revocations.announce(tx, sessionIds, status);
  }
}
