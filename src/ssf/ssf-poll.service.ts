import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { JwtSigner } from '../auth/tokens/jwt-signer';
import { AppException } from '../common/app.exception';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../events/transaction-runner.service';
import type { PollRequestDto } from './dto/poll.dto';
import { planPoll } from './poll-request';
import { SET_TYPE } from './set-claims';
import { SsfSignals } from './ssf-signals';
import { POLL_DELIVERY } from './ssf-stream.entity';
import { SsfStreamsService } from './ssf-streams.service';
import { SsfRepository } from './ssf.repository';

/** Another instance may queue SETs for the stream: look at the table at least this often. */
const RECHECK_MS = 1000;

export interface PollAnswer {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

/**
 * RFC 8936 poll delivery. Acknowledgements and errors are recorded first (in one transaction),
 * then the oldest unacknowledged SETs are handed out: a SET returned but not acknowledged comes
 * back on the next poll, an acknowledged one never does. A long poll (returnImmediately false)
 * waits for a SET at most SSF_POLL_MAX_WAIT.
 */
@Injectable()
export class SsfPollService {
  constructor(
    private readonly sets: SsfRepository,
    private readonly streams: SsfStreamsService,
    private readonly transactions: TransactionRunner,
    private readonly signals: SsfSignals,
    private readonly signer: JwtSigner,
    private readonly config: AppConfig,
    private readonly http: HttpAdapterHost,
    private readonly clock: Clock,
  ) {}

  async poll(clientId: string, streamId: string, request: PollRequestDto): Promise<PollAnswer> {
    const plan = planPoll(request);
    const stream = await this.streams.owned(clientId, streamId);
    if (stream.deliveryMethod !== POLL_DELIVERY)
      throw new AppException('validation_failed', 'This stream delivers by push, not poll');
    if (plan.ack.length > 0 || plan.setErrs.size > 0) {
      await this.transactions.run(async (tx) => {
        await this.sets.acknowledge(tx, streamId, plan.ack, tx.now());
        for (const [jti, { err, description }] of plan.setErrs)
          await this.sets.refuse(tx, streamId, jti, description ? `${err}: ${description}` : err);
      });
    }
    // Held (paused) or dropped (disabled) streams hand nothing out.
    if (plan.maxEvents === 0 || stream.status !== 'enabled')
      return { sets: {}, moreAvailable: false };
    // The injected clock bounds the wait (tests move it); timers only pace the re-checks.
    const deadline =
      this.clock.nowMs() + (plan.returnImmediately ? 0 : this.config.ssf.pollMaxWaitMs);
    for (;;) {
      const rows = await this.sets.pollable(streamId, plan.maxEvents + 1);
      const remaining = deadline - this.clock.nowMs();
      if (rows.length > 0 || remaining <= 0 || this.stopping()) {
        const sets: Record<string, string> = {};
        for (const row of rows.slice(0, plan.maxEvents))
          sets[row.jti] = this.signer.sign(SET_TYPE, row.claims);
        return { sets, moreAvailable: rows.length > plan.maxEvents };
      }
      await this.signals.waitFor(streamId, Math.min(remaining, RECHECK_MS));
    }
  }

  /**
   * A graceful stop closes the listener first, then waits for requests in flight: a long poll
   * notices within RECHECK_MS and answers what it has (nothing), instead of holding the stop.
   */
  private stopping(): boolean {
    const server = this.http.httpAdapter?.getHttpServer() as Server | undefined;
    return server !== undefined && !server.listening;
  }
}
