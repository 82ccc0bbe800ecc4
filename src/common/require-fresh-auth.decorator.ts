import { SetMetadata } from '@nestjs/common';

/** Metadata key read by the step-up guard (src/auth/guards/fresh-auth.guard.ts). */
export const REQUIRE_FRESH_AUTH = 'tessera:requireFreshAuth';

/**
 * The route needs a recent authentication (RFC 9470): when the session's last authentication is
 * older than `maxAgeSeconds` (default STEP_UP_MAX_AGE), it answers 401 step_up_required.
 */
export const RequireFreshAuth = (maxAgeSeconds?: number): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRE_FRESH_AUTH, { maxAgeSeconds });
