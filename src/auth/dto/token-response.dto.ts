import type { UserView } from '../../users/users.service';
import type { SessionView } from '../../sessions/session-views';

/** Header mode: tokens in the body. */
export class TokenResponseDto {
  accessToken?: string;
  refreshToken?: string;
  /** Cookie mode only: send it back as X-CSRF-Token on unsafe requests. */
  csrfToken?: string;
  tokenType!: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn!: number;
  /** Seconds the refresh token stays usable without activity (it also dies with the session). */
  refreshExpiresIn!: number;
  session!: SessionView;
  user!: UserView;
}
