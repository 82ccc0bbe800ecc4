import { AppException } from '../common/app.exception';

export const sessionNotFound = (): AppException =>
  new AppException('not_found', 'Session not found');
export const sessionRevoked = (): AppException =>
  new AppException('session_revoked', 'The session has been revoked; sign in again');
export const sessionExpired = (): AppException =>
  new AppException('session_expired', 'The session has expired; sign in again');
