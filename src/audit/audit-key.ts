import type { AppConfig } from '../config/app-config';
import { auditKeyId, loadAuditKey } from './audit-key-store';

/**
 * The audit chain's HMAC key, loaded once at start (AuditModule; the CLI boots the same module).
 * A missing or short AUDIT_HMAC_KEY_FILE throws an AuditKeyError naming the variable, which stops
 * the start. Injected by class; the key never leaves this object except into an HMAC.
 */
export class AuditKey {
  /** A short, non-secret id of the key, written into anchors. */
  readonly kid: string;

  constructor(readonly key: Buffer) {
    this.kid = auditKeyId(key);
  }

  static fromConfig(config: AppConfig): AuditKey {
    return new AuditKey(
      loadAuditKey({
        keyFile: config.auditHmacKeyFile,
        dataDir: config.dataDir,
        inMemory: config.embeddedInMemory,
      }),
    );
  }
}
