import { type DynamicModule, Module } from '@nestjs/common';
import { SsfConfigurationController } from './ssf-configuration.controller';
import { SsfListener } from './ssf.listener';
import { SsfPollService } from './ssf-poll.service';
import { SsfPushWorker } from './ssf-push.worker';
import { SsfSetPruner } from './ssf-set-pruner.service';
import { SsfSignals } from './ssf-signals';
import { SsfStreamsController } from './ssf-streams.controller';
import { SsfStreamsService } from './ssf-streams.service';
import { SsfRepository } from './ssf.repository';

export interface SsfModuleDeps {
  /** The application's auth module: the signing keys (JwtSigner) and service-client auth. */
  auth: DynamicModule;
  /**
   * The sessions module: ServiceClientGuard, instantiated for this module's controller, reads
   * its RevocationView (for the admin-token path it also serves).
   */
  sessions: DynamicModule;
}

/**
 * Shared Signals Framework 1.0 transmitter: CAEP `session-revoked` and `credential-change`
 * SETs for registered service clients' streams, pushed (RFC 8935) or polled (RFC 8936). Fed by
 * the outbox through a lifecycle listener, so no committed event is lost.
 */
@Module({})
export class SsfModule {
  static forRoot(deps: SsfModuleDeps): DynamicModule {
    return {
      module: SsfModule,
      imports: [deps.auth, deps.sessions],
      controllers: [SsfConfigurationController, SsfStreamsController],
      providers: [
        SsfRepository,
        SsfSignals,
        SsfListener,
        SsfStreamsService,
        SsfPollService,
        SsfPushWorker,
        SsfSetPruner,
      ],
      exports: [SsfPushWorker],
    };
  }
}
