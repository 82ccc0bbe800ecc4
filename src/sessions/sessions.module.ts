import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { EndedSessions } from '../live/ended-sessions';
import { SessionMetricsSource } from '../metrics/session-metrics-source';
import { SessionMetrics } from './session-metrics.source';
import { RefreshTokenRepository } from './refresh-token.repository';
import { SessionRepository } from './session.repository';
import { ActivityTracker } from './activity-tracker.service';
import { DeviceRemovalController } from './device-removal.controller';
import { RefreshRotationService } from './refresh-rotation.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { RevocationReconciler } from './revocation-reconciler.service';
import { RevocationView } from './revocation-view.service';
import { CurrentSessionCache } from './current-session-cache';
import { SessionEntity } from './session.entity';
import { SessionEndings } from './session-endings.service';
import { SessionExpiryService } from './session-expiry.service';
import { SessionSearchService } from './session-search.service';
import { ConfiguredSessionPolicy, SessionPolicy } from './session-policy';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

export interface SessionsModuleOptions {
  /** Replace the configured timeouts and limits (see SessionPolicy). */
  policy?: SessionPolicy;
}

export interface SessionsModuleDeps {
  /** The application's one DevicesModule instance. */
  devices: DynamicModule;
}

/**
 * Session lifecycle, policy, revocation and the self-service routes. Exports its services and
 * the ports it implements for devices, live and metrics; never its repositories.
 */
@Module({})
export class SessionsModule {
  static forRoot(options: SessionsModuleOptions, deps: SessionsModuleDeps): DynamicModule {
    return {
      module: SessionsModule,
      imports: [TypeOrmModule.forFeature([SessionEntity, RefreshTokenEntity]), deps.devices],
      controllers: [SessionsController, DeviceRemovalController],
      providers: [
        SessionsService,
        SessionSearchService,
        RefreshRotationService,
        SessionExpiryService,
        ActivityTracker,
        CurrentSessionCache,
        RevocationView,
        RevocationReconciler,
        SessionEndings,
        SessionRepository,
        RefreshTokenRepository,
        { provide: SessionMetricsSource, useClass: SessionMetrics },
        { provide: EndedSessions, useExisting: RevocationView },
        options.policy
          ? { provide: SessionPolicy, useValue: options.policy }
          : {
              provide: SessionPolicy,
              useFactory: (config: AppConfig) => new ConfiguredSessionPolicy(config),
              inject: [AppConfig],
            },
      ],
      exports: [
        SessionsService,
        SessionSearchService,
        RefreshRotationService,
        SessionExpiryService,
        ActivityTracker,
        RevocationView,
        SessionEndings,
        SessionPolicy,
        SessionMetricsSource,
        EndedSessions,
      ],
    };
  }
}
