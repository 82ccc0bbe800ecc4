import { LoginAttemptEntity } from '../auth/login-attempt.entity';
import { PasswordResetTokenEntity } from '../auth/password-reset-token.entity';
import { ServerSecretEntity } from '../auth/server-secret.entity';
import { DeviceEntity } from '../devices/device.entity';
import { OutboxEventEntity } from '../events/outbox-event.entity';
import { RefreshTokenEntity } from '../sessions/refresh-token.entity';
import { SessionEntity } from '../sessions/session.entity';
import { UserEntity } from '../users/user.entity';

/**
 * Every entity class, for the data source. Each module owns its entities; this list only
 * registers them (and keeps the migration drift check complete).
 */
export const ENTITIES: Function[] = [
  UserEntity,
  LoginAttemptEntity,
  PasswordResetTokenEntity,
  ServerSecretEntity,
  DeviceEntity,
  SessionEntity,
  RefreshTokenEntity,
  OutboxEventEntity,
];
