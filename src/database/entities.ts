import { AlertDispatchEntity } from '../alerting/alert-dispatch.entity';
import { AlertEntity } from '../alerting/alert.entity';
import { AlertObservationEntity } from '../alerting/alert-observation.entity';
import { WebhookDeliveryEntity } from '../alerting/webhook-delivery.entity';
import { WebhookEntity } from '../alerting/webhook.entity';
import { AuditChainHeadEntity } from '../audit/audit-chain-head.entity';
import { AuditCheckpointEntity } from '../audit/audit-checkpoint.entity';
import { AuditRecordEntity } from '../audit/audit-record.entity';
import { LoginProtectionEntity } from '../auth/throttling/login-protection.entity';
import { PasswordResetTokenEntity } from '../auth/passwords/password-reset-token.entity';
import { ServerSecretEntity } from '../auth/browser/server-secret.entity';
import { SigningKeyEntity } from '../auth/tokens/signing-key.entity';
import { DpopProofJtiEntity } from '../auth/dpop/dpop-proof-jti.entity';
import { ClientAssertionJtiEntity } from '../auth/oauth/client-assertion-jti.entity';
import { ServiceClientEntity } from '../auth/oauth/service-client.entity';
import { DeviceEntity } from '../devices/device.entity';
import { OutboxEventEntity } from '../events/outbox-event.entity';
import { RelayInstanceEntity } from '../events/relay-instance.entity';
import { MfaLoginTokenEntity } from '../mfa/mfa-login-token.entity';
import { RecoveryCodeEntity } from '../mfa/recovery-code.entity';
import { TotpFactorEntity } from '../mfa/totp-factor.entity';
import { WebAuthnChallengeEntity } from '../mfa/webauthn-challenge.entity';
import { WebAuthnCredentialEntity } from '../mfa/webauthn-credential.entity';
import { RefreshTokenEntity } from '../sessions/refresh-token.entity';
import { SessionEntity } from '../sessions/session.entity';
import { SsfSetEntity } from '../ssf/ssf-set.entity';
import { SsfStreamEntity } from '../ssf/ssf-stream.entity';
import { SsfSubjectExclusionEntity } from '../ssf/ssf-subject-exclusion.entity';
import { UserEntity } from '../users/user.entity';

/**
 * Every entity class, for the data source. Each module owns its entities; this list only
 * registers them (and keeps the migration drift check complete).
 */
export const ENTITIES: Function[] = [
  UserEntity,
  LoginProtectionEntity,
  PasswordResetTokenEntity,
  ServerSecretEntity,
  SigningKeyEntity,
  DeviceEntity,
  SessionEntity,
  RefreshTokenEntity,
  OutboxEventEntity,
  RelayInstanceEntity,
  AuditRecordEntity,
  AuditChainHeadEntity,
  AuditCheckpointEntity,
  AlertEntity,
  AlertObservationEntity,
  AlertDispatchEntity,
  WebhookEntity,
  WebhookDeliveryEntity,
  TotpFactorEntity,
  RecoveryCodeEntity,
  WebAuthnCredentialEntity,
  WebAuthnChallengeEntity,
  MfaLoginTokenEntity,
  DpopProofJtiEntity,
  ServiceClientEntity,
  ClientAssertionJtiEntity,
  SsfStreamEntity,
  SsfSetEntity,
  SsfSubjectExclusionEntity,
];
