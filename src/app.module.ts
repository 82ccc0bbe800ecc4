import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { DataSourceOptions } from 'typeorm';
import { AdminModule } from './admin/admin.module';
import { AlertRecipientsModule } from './alert-recipients.module';
import { AlertingModule, type AlertingModuleOptions } from './alerting/alerting.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule, type AuthModuleOptions } from './auth/auth.module';
import { Clock } from './common/clock';
import { CommonModule } from './common/common.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DevicesModule } from './devices/devices.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LiveModule } from './live/live.module';
import { MetricsModule } from './metrics/metrics.module';
import { MfaModule } from './mfa/mfa.module';
import { PasskeyCountsModule } from './mfa/passkey-counts.module';
import { SessionCountsModule } from './sessions/session-counts.module';
import { SessionsModule, type SessionsModuleOptions } from './sessions/sessions.module';
import { SsfModule } from './ssf/ssf.module';
import { UsersModule } from './users/users.module';

export interface AppModuleOptions {
  config: AppConfig;
  dataSource: DataSourceOptions;
  clock: Clock;
  auth?: AuthModuleOptions;
  sessions?: SessionsModuleOptions;
  alerting?: AlertingModuleOptions;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    // Each feature module is built once and that instance imported wherever it is used, along
    // the allowed arrows (users <- devices <- sessions <- auth <- admin; docs/architecture.md).
    const users = UsersModule.forRoot({ passwordPolicy: options.auth?.passwordPolicy });
    const devices = DevicesModule.forRoot({
      sessionCounts: SessionCountsModule,
      passkeyCounts: PasskeyCountsModule,
    });
    const sessions = SessionsModule.forRoot(options.sessions ?? {}, { devices });
    const mfa = MfaModule.forRoot({ users, sessionDevices: SessionCountsModule });
    const auth = AuthModule.forRoot(options.auth ?? {}, { users, devices, sessions, mfa });
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        CommonModule.forRoot(options.clock),
        DatabaseModule.forRoot(options.dataSource),
        // Wildcards so audit can listen to every event ('**'); listener errors must surface
        // to the outbox relay, which then retries.
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.', ignoreErrors: false }),
        EventsModule,
        users,
        devices,
        sessions,
        mfa,
        auth,
        HealthModule,
        MetricsModule.forRoot({ sessionMetrics: sessions }),
        AdminModule.forRoot({ users, devices, sessions, auth, mfa }),
        AuditModule,
        AlertingModule.forRoot(options.alerting, {
          // Users get their own security alerts by email when SMTP is configured.
          emailRecipients: options.config.mail.smtpUrl
            ? AlertRecipientsModule.forRoot(users)
            : undefined,
        }),
        LiveModule.forRoot({ endedSessions: sessions }),
        SsfModule.forRoot({ auth, sessions }),
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
