import type { AppConfig } from '../../config/app-config';

/**
 * The absolute URL of one of this service's endpoints (`path` starts with `/`), as the RFC 8414
 * metadata publishes it and as client assertions may name it: under the issuer when the issuer
 * is an http(s) URL (the RFC 8414 norm, and what JWT_ISSUER set to the public address means),
 * else under PUBLIC_URL (a legacy name-only JWT_ISSUER such as `tessera`).
 */
export function endpointUrl(config: AppConfig, path: string): string {
  const issuer = config.jwt.issuer;
  const base = /^https?:\/\//i.test(issuer) ? issuer.replace(/\/+$/, '') : config.publicUrl;
  return `${base}${path}`;
}
