import { CoreSchema1764000000000 } from './1764000000000-core-schema';
import { AuditAndAlerting1764000100000 } from './1764000100000-audit-and-alerting';
import { AdminSessionSearch1764000200000 } from './1764000200000-admin-session-search';
import { SecondFactors1764000300000 } from './1764000300000-second-factors';
import { EmailSkeleton1764000400000 } from './1764000400000-email-skeleton';
import { SessionAuthContext1764000500000 } from './1764000500000-session-auth-context';
import { LoginProtection1764000600000 } from './1764000600000-login-protection';
import { KeyedAuditChain1764000700000 } from './1764000700000-keyed-audit-chain';
import { SealedWebhookSecrets1764000710000 } from './1764000710000-sealed-webhook-secrets';
import { OutboxClaimOwner1764100200000 } from './1764100200000-outbox-claim-owner';
import { SigningKeys1764100500000 } from './1764100500000-signing-keys';
import { DpopBinding1764100600000 } from './1764100600000-dpop-binding';
import { ServiceClients1764200100000 } from './1764200100000-service-clients';
import { SsfStreams1764200200000 } from './1764200200000-ssf-streams';
import { HousekeepingIndexes1764200300000 } from './1764200300000-housekeeping-indexes';
import { SessionHotUpdates1764200400000 } from './1764200400000-session-hot-updates';
import { RefreshTokenSelectors1764200500000 } from './1764200500000-refresh-token-selectors';

/** Every migration in order. The only way the schema changes (synchronize is off). */
export const MIGRATIONS: Function[] = [
  CoreSchema1764000000000,
  AuditAndAlerting1764000100000,
  AdminSessionSearch1764000200000,
  SecondFactors1764000300000,
  EmailSkeleton1764000400000,
  SessionAuthContext1764000500000,
  LoginProtection1764000600000,
  KeyedAuditChain1764000700000,
  SealedWebhookSecrets1764000710000,
  OutboxClaimOwner1764100200000,
  SigningKeys1764100500000,
  DpopBinding1764100600000,
  ServiceClients1764200100000,
  SsfStreams1764200200000,
  HousekeepingIndexes1764200300000,
  SessionHotUpdates1764200400000,
  RefreshTokenSelectors1764200500000,
];
