import type { AppConfig } from '../config/app-config';

/**
 * Where receivers reach this transmitter: the issuer when it is an http(s) URL, otherwise the
 * origin of PUBLIC_URL. SSF metadata must hold absolute URLs.
 */
export function transmitterBaseUrl(config: AppConfig): string {
  const issuer = config.jwt.issuer;
  if (/^https?:\/\//i.test(issuer)) return issuer.replace(/\/+$/, '');
  return new URL(config.publicUrl).origin;
}

/** Route paths of the transmitter (relative to the base URL). */
export const SSF_PATHS = {
  configuration: '/ssf/streams',
  status: '/ssf/streams/status',
  verification: '/ssf/streams/verify',
  addSubject: '/ssf/subjects/add',
  removeSubject: '/ssf/subjects/remove',
  poll: (streamId: string): string => `/ssf/poll/${streamId}`,
} as const;
