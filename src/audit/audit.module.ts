import { Module } from '@nestjs/common';
import { AuditAdminController, MyActivityController } from './audit.controller';
import { AppConfig } from '../config/app-config';
import { AuditKey } from './audit-key';
import { AuditListener } from './audit.listener';
import { AuditRetentionScheduler } from './audit-retention.service';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { SecurityDenialsFlusher } from './security-denials-flusher';

/**
 * The audit trail. It imports no feature module: it only listens to lifecycle events. Exports
 * AuditService (verify, export, purge) for the operator CLI.
 */
@Module({
  controllers: [AuditAdminController, MyActivityController],
  providers: [
    // Loaded at start: a missing or short AUDIT_HMAC_KEY_FILE stops the start, naming it.
    {
      provide: AuditKey,
      useFactory: (config: AppConfig) => AuditKey.fromConfig(config),
      inject: [AppConfig],
    },
    AuditService,
    AuditRepository,
    AuditListener,
    AuditRetentionScheduler,
    SecurityDenialsFlusher,
  ],
  exports: [AuditService],
})
export class AuditModule {}
