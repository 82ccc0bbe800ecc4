import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { DataSourceOptions } from 'typeorm';
import { AdminModule } from './admin/admin.module';
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
import { SessionsModule, type SessionsModuleOptions } from './sessions/sessions.module';

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
        DevicesModule,
        // Building blocks only so far: no routes, not yet part of login.
        MfaModule,
        SessionsModule.forRoot(options.sessions),
        AuthModule.forRoot(options.auth),
        HealthModule,
        MetricsModule,
        AdminModule,
        AuditModule,
        AlertingModule.forRoot(options.alerting),
        LiveModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
