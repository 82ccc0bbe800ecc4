import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseKeyText } from '../common/secret-box';
import { formatDuration, parseDuration } from './duration';

/** EdDSA is Ed25519. Tokens are signed and verified with node:crypto (docs/security.md). */
export type JwtAlgorithm = 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];
export type DocsAccess = 'public' | 'admin' | 'off';
export type MetricsAccess = 'public' | 'token' | 'off';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The whole, validated configuration. Read once at start-up from the environment and injected
 * everywhere else; nothing outside src/config reads process.env.
 */
export class AppConfig {
  readonly nodeEnv!: string;
  readonly port!: number;
  readonly host!: string;
  /** Unset: the embedded PostgreSQL (PGlite) in `dataDir`. */
  readonly databaseUrl?: string;
  readonly dataDir!: string;
  /** Test-only: run the embedded database in memory instead of in `dataDir`. */
  readonly embeddedInMemory!: boolean;
  readonly migrationsRun!: boolean;
  readonly databasePoolSize!: number;
  readonly redisUrl?: string;
  /** How often every instance re-reads sessions ended since its last look (bus backstop). */
  readonly revocationReconcileIntervalMs!: number;
  /**
   * GET /oauth/revocations, the feed of ended sessions for services that verify access tokens
   * themselves. Unset (no REVOCATION_FEED_SECRET[_FILE]): the route answers 404.
   */
  readonly revocationFeed?: {
    /** The shared secret subscribers present as `Authorization: Bearer <secret>`. */
    readonly secret: string;
    /** A comment line at least this often, so a subscriber can tell a dead feed from a quiet one. */
    readonly heartbeatMs: number;
  };
  /** Test-only (NODE_ENV=test): the cluster bus sends nothing, as if every message were lost. */
  readonly clusterBusDropPublish!: boolean;
  /**
   * Test-only (NODE_ENV=test): argon2id with tiny parameters, so suites that register and sign
   * in hundreds of users do not spend minutes hashing. Never weaker outside tests.
   */
  readonly cheapPasswordHashing!: boolean;
  readonly jwt!: {
    /**
     * The RFC 8414 issuer and every access token's `iss`: JWT_ISSUER, else PUBLIC_URL (origin and
     * path, no trailing slash). An absolute URL, so OAuth clients accept the metadata.
     */
    readonly issuer: string;
    readonly audience: string;
    readonly algorithm: JwtAlgorithm;
    readonly privateKeyPem?: string;
    readonly privateKeyFile?: string;
    /**
     * JWT_KEY_ACTIVATION_DELAY: a rotated-in key is published in the JWKS at once but signs only
     * after this delay, so verifiers that cache the JWKS have fetched it before they meet it.
     */
    readonly keyActivationDelayMs: number;
  };
  readonly accessTokenTtlMs!: number;
  /** SERVICE_TOKEN_TTL: lifetime of client_credentials access tokens (service clients). */
  readonly serviceTokenTtlMs!: number;
  readonly session!: {
    readonly idleTimeoutMs: number;
    readonly rememberMeIdleTimeoutMs: number;
    readonly absoluteTimeoutMs: number;
    readonly maxPerUser: number;
    /** Activity is written at most once per session per this interval (coalescing). */
    readonly activityWriteIntervalMs: number;
  };
  readonly refreshReuseGraceMs!: number;
  /** RFC 9470 step-up: routes needing fresh authentication accept a login at most this old. */
  readonly stepUpMaxAgeMs!: number;
  /** Admin routes need a session created with a second factor (amr contains `mfa`). */
  readonly adminRequireMfa!: boolean;
  readonly login!: {
    /** Failures from one network (or one known device) before its attempts are delayed. */
    readonly maxFailures: number;
    /** The cap on a delay; counters decay after twice this without failures. */
    readonly lockoutMs: number;
    /** Failures across all networks after which every unknown device is delayed too. */
    readonly accountMaxFailures: number;
  };
  readonly rateLimit!: {
    readonly enabled: boolean;
    readonly limit: number;
    readonly windowMs: number;
    /** RATE_LIMIT_AUTH_GLOBAL: login and register across all clients. */
    readonly global: { readonly limit: number; readonly windowMs: number };
  };
  readonly cookieSecure!: boolean;
  readonly corsOrigins!: readonly string[];
  /** CORS_MAX_AGE: how long a browser may cache a preflight answer (Access-Control-Max-Age). */
  readonly corsMaxAgeSeconds!: number;
  readonly auditRetentionMs!: number;
  /** OUTBOX_RETENTION: how long published outbox events are kept (for inspection) before deletion. */
  readonly outboxRetentionMs!: number;
  readonly logLevel!: LogLevel;
  /** ACCESS_LOG_SKIP: paths that write no access line (probes, scrapes); `none` logs them all. */
  readonly accessLogSkipPaths!: readonly string[];
  /** Express `trust proxy`: false (socket peer only), a hop count, or a list of addresses/subnets. */
  readonly trustProxy!: false | number | string;
  readonly docsAccess!: DocsAccess;
  readonly bodyLimitBytes!: number;
  readonly passwordResetTtlMs!: number;
  /** Outgoing email (password reset, security alerts). */
  readonly mail!: {
    /** SMTP_URL (smtp:// or smtps://, credentials in the URL). Unset: no email is sent. */
    readonly smtpUrl?: string;
    /** MAIL_FROM: the From of every message. */
    readonly from: string;
    /**
     * PASSWORD_RESET_URL: the frontend page that sets a new password; the email links to it
     * with `#token=…` (a fragment, so the token never reaches a server log).
     */
    readonly passwordResetUrl: string;
  };
  /** WEBHOOK_ALLOW_HTTP / WEBHOOK_ALLOW_PRIVATE_TARGETS: development and test escapes (SSRF guard). */
  readonly webhookTargets!: { readonly allowHttp: boolean; readonly allowPrivateTargets: boolean };
  readonly metricsAccess!: MetricsAccess;
  /** Bearer token for /metrics when metricsAccess is `token`. */
  readonly metricsToken?: string;
  /** Unset: generated once and kept in DATA_DIR (random per process in memory mode). */
  readonly auditHmacKeyFile?: string;
  /** Concurrent /sessions/events streams: per session and per user (oldest closed), per instance (503). */
  readonly liveStreams!: {
    readonly perSession: number;
    readonly perUser: number;
    readonly perInstance: number;
  };
  /**
   * Concurrent GET /oauth/revocations streams: per service client (the shared secret counts as
   * one client) and per instance; the excess is refused with 503 and Retry-After.
   */
  readonly revocationFeedStreams!: {
    readonly perClient: number;
    readonly perInstance: number;
  };
  /** Where users reach Tessera (PUBLIC_URL); the WebAuthn defaults derive from it. */
  readonly publicUrl!: string;
  /** DPoP (RFC 9449): how far a proof's `iat` may be from now, either way (DPOP_PROOF_LEEWAY). */
  readonly dpopProofLeewayMs!: number;
  readonly webauthn!: {
    /** The relying-party id: a registrable domain the origins belong to (no scheme, no port). */
    readonly rpId: string;
    /** Every origin a browser may sign an assertion for (clientDataJSON.origin). */
    readonly origins: readonly string[];
  };
  /** Shared Signals (SSF 1.0) transmitter: push delivery and poll. */
  readonly ssf!: {
    /** SSF_PUSH_TIMEOUT: one push request's deadline (a slow receiver is retried). */
    readonly pushTimeoutMs: number;
    /** SSF_MAX_ATTEMPTS: push attempts before a SET is given up as failed. */
    readonly maxAttempts: number;
    /** SSF_RETRY_BASE: the first retry delay, doubled per attempt (capped at one hour). */
    readonly retryBaseMs: number;
    /** SSF_POLL_MAX_WAIT: how long a long poll (returnImmediately false) may wait for SETs. */
    readonly pollMaxWaitMs: number;
    /** SSF_SET_RETENTION: delivered, acknowledged and failed SETs are deleted at this age. */
    readonly setRetentionMs: number;
  };
  readonly mfa!: {
    /** Shown by authenticator apps (otpauth issuer) and by browsers (WebAuthn rp name). */
    readonly issuer: string;
  };
  /**
   * ENCRYPTION_KEY_FILE: 32 random bytes, base64, that encrypt secrets at rest (TOTP seeds).
   * Unset: generated once into DATA_DIR/keys (see src/common/secret-box.ts).
   */
  readonly encryptionKeyFile?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Collects every problem so the operator sees all bad variables at once. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return this.fail(name, text, `an integer from ${min} to ${max}`, fallback);
    }
    return value;
  }

  duration(name: string, fallback: string, minMs: number, maxMs: number): number {
    const text = this.raw(name) ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      return this.fail(name, text, 'a duration such as 900, 900s, 15m, 12h or 30d', 0);
    }
    if (ms < minMs || ms > maxMs) {
      return this.fail(
        name,
        text,
        `a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
        0,
      );
    }
    return ms;
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    return this.fail(name, text, 'true or false', fallback);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const match = allowed.find((option) => option.toLowerCase() === text.toLowerCase());
    return match ?? this.fail(name, text, `one of ${allowed.join(', ')}`, fallback);
  }

  fail<T>(name: string, value: string, expected: string, fallback: T): T {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    this.problems.push(`${name}: "${shown}" is not valid; expected ${expected}`);
    return fallback;
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The longest access-token lifetime ACCESS_TOKEN_TTL accepts. Verification refuses tokens that
 * claim to live longer, and revocation state is kept this long: a token issued under an earlier,
 * longer setting must still meet its session's revocation after a restart with a shorter one.
 */
export const ACCESS_TOKEN_TTL_MAX_MS = 60 * MINUTE;
/** Smallest RSA modulus accepted for a supplied signing key (generated keys are this size). */
export const RSA_MIN_BITS = 3072;

/**
 * A supplied RSA key under RSA_MIN_BITS stops the start naming its variable. An unreadable or
 * unparseable key is left to the key store, which fails with its own message.
 */
function checkSigningKey(reader: EnvReader, name: string, readPem: () => string): void {
  let bits: number | undefined;
  try {
    const key = createPrivateKey(readPem());
    bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  } catch {
    return;
  }
  // Never echo the key: the message names the variable and the size only.
  if (bits !== undefined && bits < RSA_MIN_BITS) {
    reader.problems.push(
      `${name}: an RSA key of ${bits} bits; expected ${RSA_MIN_BITS} bits or more`,
    );
  }
}

function parseJwtKeys(
  reader: EnvReader,
): Pick<AppConfig['jwt'], 'privateKeyPem' | 'privateKeyFile'> {
  const privateKeyPem = reader.raw('JWT_PRIVATE_KEY')?.replace(/\\n/g, '\n');
  const privateKeyFile = reader.raw('JWT_PRIVATE_KEY_FILE');
  if (privateKeyPem) checkSigningKey(reader, 'JWT_PRIVATE_KEY', () => privateKeyPem);
  else if (privateKeyFile) {
    checkSigningKey(reader, 'JWT_PRIVATE_KEY_FILE', () =>
      readFileSync(resolve(privateKeyFile), 'utf8'),
    );
  }
  return { privateKeyPem, privateKeyFile };
}

function parseRate(
  reader: EnvReader,
  name: string,
  fallback: string,
  max: number,
): { limit: number; windowMs: number } {
  const text = reader.string(name, fallback);
  const match = /^(\d+)\s*\/\s*(\S+)$/.exec(text);
  const windowMs = match ? parseDuration(match[2]) : undefined;
  const limit = match ? Number(match[1]) : NaN;
  if (!match || windowMs === undefined || windowMs < 1000 || limit < 1 || limit > max) {
    const [count, window] = fallback.split('/');
    return reader.fail(name, text, `requests per window, such as ${fallback}`, {
      limit: Number(count),
      windowMs: parseDuration(window) ?? MINUTE,
    });
  }
  return { limit, windowMs };
}

function parseRateLimit(reader: EnvReader): {
  limit: number;
  windowMs: number;
  global: { limit: number; windowMs: number };
} {
  return {
    ...parseRate(reader, 'RATE_LIMIT_AUTH', '10/1m', 100_000),
    global: parseRate(reader, 'RATE_LIMIT_AUTH_GLOBAL', '600/1m', 10_000_000),
  };
}

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One `trust proxy` entry Express (proxy-addr) compiles: a name, an address, or a subnet. */
function isProxyEntry(entry: string): boolean {
  if (TRUST_PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (isIP(prefix) === family) return true; // a netmask
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Accepts exactly what the app can use: none, a hop count, or a comma-separated list of
 * addresses, subnets and proxy-addr names. `true` (trust every hop) is refused by name: it
 * lets any client forge X-Forwarded-For, and Express would take "true" as an address anyway.
 */
function parseTrustProxy(reader: EnvReader): false | number | string {
  const text = reader.raw('TRUST_PROXY');
  if (text === undefined || /^(none|false|0)$/i.test(text)) return false;
  if (/^\d+$/.test(text)) return reader.int('TRUST_PROXY', 0, 0, 10);
  const expected =
    'none, a hop count such as 1, or addresses/subnets such as loopback,10.0.0.0/8 ' +
    '(never true: trusting every hop lets any client forge X-Forwarded-For)';
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyEntry)) return entries.join(',');
  return reader.fail('TRUST_PROXY', text, expected, false);
}

function parseDatabaseUrl(reader: EnvReader): string | undefined {
  const text = reader.raw('DATABASE_URL');
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return text;
  } catch {
    // fall through to the message below
  }
  // Never echo the URL back: it may hold a password.
  reader.problems.push('DATABASE_URL: is not a postgres:// or postgresql:// URL');
  return undefined;
}

// /auth/verify: a gateway calls it once per proxied request and logs that request itself.
const DEFAULT_ACCESS_LOG_SKIP = '/health/live,/health/ready,/metrics,/auth/verify';

function parseAccessLogSkip(reader: EnvReader): string[] {
  const text = reader.string('ACCESS_LOG_SKIP', DEFAULT_ACCESS_LOG_SKIP);
  if (text === 'none') return [];
  const paths = text.split(',').map((path) => path.trim());
  for (const path of paths) {
    if (!/^\/\S*$/.test(path)) {
      reader.fail('ACCESS_LOG_SKIP', path, 'comma-separated paths such as /health/live', []);
    }
  }
  return paths;
}

function parseOrigins(reader: EnvReader): string[] {
  const text = reader.raw('CORS_ORIGINS');
  if (text === undefined || text === 'none') return [];
  const origins = text.split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      reader.fail(
        'CORS_ORIGINS',
        origin,
        'comma-separated origins such as https://app.example.com',
        [],
      );
    }
  }
  return origins;
}

function parseBodyLimit(reader: EnvReader): number {
  const text = reader.string('BODY_LIMIT', '100kb');
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(text);
  const factor: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
  const bytes = match ? Number(match[1]) * factor[(match[2] ?? 'b').toLowerCase()] : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes > 10 * 1024 * 1024) {
    return reader.fail('BODY_LIMIT', text, 'a size from 1kb to 10mb, such as 100kb', 102_400);
  }
  return bytes;
}

function parsePublicUrl(reader: EnvReader, port: number): string {
  const fallback = `http://localhost:${port}`;
  const text = reader.raw('PUBLIC_URL');
  if (text === undefined) return fallback;
  try {
    const url = new URL(text);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && !url.username) {
      return url.origin + url.pathname.replace(/\/+$/, '');
    }
  } catch {
    // fall through to the message below
  }
  return reader.fail(
    'PUBLIC_URL',
    text,
    'an http(s) URL such as https://auth.example.com',
    fallback,
  );
}

/**
 * JWT_ISSUER as given (an existing deployment's `tessera` keeps verifying), else PUBLIC_URL:
 * RFC 8414 wants the issuer to be the https URL the metadata is served under.
 */
function parseIssuer(reader: EnvReader, publicUrl: string): string {
  return reader.raw('JWT_ISSUER') ?? publicUrl;
}

function parseSmtpUrl(reader: EnvReader): string | undefined {
  const text = reader.raw('SMTP_URL');
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    if ((url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname) return text;
  } catch {
    // fall through to the message below
  }
  // Never echo the URL back: it may hold the SMTP password.
  reader.problems.push('SMTP_URL: is not an smtp:// or smtps:// URL with a host');
  return undefined;
}

function parseMailFrom(reader: EnvReader, publicUrl: string): string {
  const fallback = `Tessera <no-reply@${new URL(publicUrl).hostname}>`;
  const text = reader.raw('MAIL_FROM');
  if (text === undefined) return fallback;
  // "addr@host" or "Name <addr@host>"; no line breaks (header injection).
  const valid = /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(text);
  return valid
    ? text
    : reader.fail(
        'MAIL_FROM',
        text,
        'an address such as "Tessera <no-reply@example.com>"',
        fallback,
      );
}

function parsePasswordResetUrl(reader: EnvReader, publicUrl: string): string {
  const fallback = `${publicUrl}/account/reset`;
  const text = reader.raw('PASSWORD_RESET_URL');
  if (text === undefined) return fallback;
  try {
    const url = new URL(text);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && !url.hash && !url.username) {
      return url.href;
    }
  } catch {
    // fall through to the message below
  }
  return reader.fail(
    'PASSWORD_RESET_URL',
    text,
    'an http(s) URL without a #fragment (the token is appended as #token=…)',
    fallback,
  );
}

/** WebAuthn only runs in secure contexts: https, or http on localhost during development. */
function isSecureContextOrigin(url: URL): boolean {
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' &&
      (url.hostname === 'localhost' || url.hostname.endsWith('.localhost')))
  );
}

function parseWebAuthn(reader: EnvReader, publicUrl: string): AppConfig['webauthn'] {
  const rpIdText = reader.raw('WEBAUTHN_RP_ID');
  const rpId = (rpIdText ?? new URL(publicUrl).hostname).toLowerCase();
  if (rpIdText !== undefined && !/^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(rpId)) {
    reader.fail('WEBAUTHN_RP_ID', rpId, 'a domain name without scheme or port', undefined);
  }
  const originsText = reader.raw('WEBAUTHN_ORIGINS');
  const origins = (originsText ?? new URL(publicUrl).origin).split(',').map((o) => o.trim());
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    // The WebAuthn rule: each origin's host is the rp id or a subdomain of it. Origins derived
    // from PUBLIC_URL are not held to the secure-context rule: a deployment that serves plain
    // http on another host must still start (passkeys just will not work in its browsers).
    const fits =
      url !== undefined &&
      url.origin === origin &&
      (originsText === undefined || isSecureContextOrigin(url)) &&
      (url.hostname === rpId || url.hostname.endsWith(`.${rpId}`));
    if (!fits) {
      reader.fail(
        originsText === undefined ? 'WEBAUTHN_RP_ID' : 'WEBAUTHN_ORIGINS',
        originsText === undefined ? rpId : origin,
        `https origins (http only on localhost) on ${rpId} or its subdomains, comma-separated`,
        undefined,
      );
    }
  }
  return { rpId, origins };
}

/** Long enough that guessing it is hopeless; the compare is constant-time anyway. */
const FEED_SECRET_MIN_LENGTH = 32;

function readSecretFile(reader: EnvReader, name: string, path: string): string | undefined {
  try {
    return readFileSync(resolve(path), 'utf8').trim();
  } catch {
    reader.problems.push(`${name}: "${path}" is not a readable file`);
    return undefined;
  }
}

/** REVOCATION_FEED_SECRET or REVOCATION_FEED_SECRET_FILE (one of them), never echoed. */
function parseRevocationFeed(reader: EnvReader): AppConfig['revocationFeed'] {
  const inline = reader.raw('REVOCATION_FEED_SECRET');
  const file = reader.raw('REVOCATION_FEED_SECRET_FILE');
  const heartbeatMs = reader.duration('REVOCATION_FEED_HEARTBEAT', '15s', 100, MINUTE);
  if (inline !== undefined && file !== undefined) {
    reader.problems.push(
      'REVOCATION_FEED_SECRET_FILE: set either it or REVOCATION_FEED_SECRET, not both',
    );
    return undefined;
  }
  const name = file === undefined ? 'REVOCATION_FEED_SECRET' : 'REVOCATION_FEED_SECRET_FILE';
  const secret = file === undefined ? inline : readSecretFile(reader, name, file);
  if (secret === undefined) return undefined;
  if (secret.length < FEED_SECRET_MIN_LENGTH) {
    reader.problems.push(
      `${name}: the secret must be ${FEED_SECRET_MIN_LENGTH} characters or more`,
    );
    return undefined;
  }
  return { secret, heartbeatMs };
}

/** The key file is checked at start so a bad one stops the process before anything is sealed. */
function parseEncryptionKeyFile(reader: EnvReader): string | undefined {
  const path = reader.raw('ENCRYPTION_KEY_FILE');
  if (path === undefined) return undefined;
  let valid: boolean;
  try {
    valid = parseKeyText(readFileSync(resolve(path), 'utf8')) !== undefined;
  } catch {
    valid = false;
  }
  // Never echo the file's content: it is the key.
  if (!valid) {
    reader.problems.push(
      `ENCRYPTION_KEY_FILE: "${path}" is not a readable file holding 32 random bytes in base64`,
    );
  }
  return path;
}

/** Reads and validates the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const r = new EnvReader(env);
  const accessTokenTtlMs = r.duration('ACCESS_TOKEN_TTL', '15m', MINUTE, ACCESS_TOKEN_TTL_MAX_MS);
  const nodeEnv = r.string('NODE_ENV', 'development');
  // Production defaults close what development leaves open (docs to admins, metrics by token).
  const production = nodeEnv === 'production';
  const port = r.int('PORT', 3000, 0, 65535);
  const publicUrl = parsePublicUrl(r, port);
  const config: AppConfig = {
    nodeEnv,
    port,
    host: r.string('HOST', '0.0.0.0'),
    databaseUrl: parseDatabaseUrl(r),
    dataDir: r.string('DATA_DIR', './data'),
    embeddedInMemory: false,
    migrationsRun: r.bool('MIGRATIONS_RUN', true),
    // At least 4: request, relay and background work each hold a connection at times.
    databasePoolSize: r.int('DATABASE_POOL_SIZE', 10, 4, 100),
    redisUrl: r.raw('REDIS_URL'),
    revocationReconcileIntervalMs: r.duration('REVOCATION_RECONCILE_INTERVAL', '1s', 100, 2000),
    revocationFeed: parseRevocationFeed(r),
    clusterBusDropPublish:
      r.bool('CLUSTER_BUS_DROP_PUBLISH', false) &&
      (nodeEnv === 'test' ||
        r.fail('CLUSTER_BUS_DROP_PUBLISH', 'true', 'unset outside NODE_ENV=test', false)),
    cheapPasswordHashing:
      r.bool('TEST_CHEAP_PASSWORD_HASHING', false) &&
      (nodeEnv === 'test' ||
        r.fail('TEST_CHEAP_PASSWORD_HASHING', 'true', 'unset outside NODE_ENV=test', false)),
    jwt: {
      issuer: parseIssuer(r, publicUrl),
      audience: r.string('JWT_AUDIENCE', 'tessera-api'),
      algorithm: r.oneOf<JwtAlgorithm>('JWT_ALGORITHM', 'RS256', [...JWT_ALGORITHMS]),
      keyActivationDelayMs: r.duration('JWT_KEY_ACTIVATION_DELAY', '5m', 0, DAY),
      ...parseJwtKeys(r),
    },
    accessTokenTtlMs,
    serviceTokenTtlMs: r.duration('SERVICE_TOKEN_TTL', '5m', MINUTE, ACCESS_TOKEN_TTL_MAX_MS),
    session: {
      idleTimeoutMs: r.duration('SESSION_IDLE_TIMEOUT', '30m', MINUTE, 365 * DAY),
      rememberMeIdleTimeoutMs: r.duration(
        'SESSION_REMEMBER_ME_IDLE_TIMEOUT',
        '30d',
        MINUTE,
        365 * DAY,
      ),
      absoluteTimeoutMs: r.duration('SESSION_ABSOLUTE_TIMEOUT', '30d', MINUTE, 365 * DAY),
      maxPerUser: r.int('MAX_SESSIONS_PER_USER', 10, 1, 1000),
      activityWriteIntervalMs: r.duration(
        'SESSION_ACTIVITY_WRITE_INTERVAL',
        '60s',
        1000,
        10 * MINUTE,
      ),
    },
    refreshReuseGraceMs: r.duration('REFRESH_REUSE_GRACE', '10s', 0, 5 * MINUTE),
    stepUpMaxAgeMs: r.duration('STEP_UP_MAX_AGE', '10m', 1000, DAY),
    adminRequireMfa: r.bool('ADMIN_REQUIRE_MFA', true),
    login: {
      maxFailures: r.int('LOGIN_MAX_FAILURES', 5, 1, 1000),
      lockoutMs: r.duration('LOCKOUT_DURATION', '15m', 1000, 30 * DAY),
      accountMaxFailures: r.int('LOGIN_ACCOUNT_MAX_FAILURES', 100, 1, 1_000_000),
    },
    rateLimit: { enabled: r.bool('RATE_LIMIT_ENABLED', true), ...parseRateLimit(r) },
    cookieSecure: r.bool('COOKIE_SECURE', true),
    corsOrigins: parseOrigins(r),
    // Chromium caps preflight caching at 2 h, Firefox at 24 h: anything longer is ignored.
    corsMaxAgeSeconds: r.duration('CORS_MAX_AGE', '10m', 0, DAY) / 1000,
    auditRetentionMs: r.duration('AUDIT_RETENTION', '90d', DAY, 3650 * DAY),
    outboxRetentionMs: r.duration('OUTBOX_RETENTION', '7d', 60 * MINUTE, 3650 * DAY),
    logLevel: r.oneOf<LogLevel>('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error']),
    accessLogSkipPaths: parseAccessLogSkip(r),
    trustProxy: parseTrustProxy(r),
    docsAccess: r.oneOf<DocsAccess>('DOCS_ACCESS', production ? 'admin' : 'public', [
      'public',
      'admin',
      'off',
    ]),
    metricsAccess: r.oneOf<MetricsAccess>('METRICS_ACCESS', production ? 'token' : 'public', [
      'public',
      'token',
      'off',
    ]),
    metricsToken: r.raw('METRICS_TOKEN'),
    webhookTargets: {
      allowHttp: r.bool('WEBHOOK_ALLOW_HTTP', false),
      allowPrivateTargets: r.bool('WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    },
    auditHmacKeyFile: r.raw('AUDIT_HMAC_KEY_FILE'),
    liveStreams: {
      perSession: r.int('LIVE_STREAMS_PER_SESSION', 3, 1, 100),
      perUser: r.int('LIVE_STREAMS_PER_USER', 10, 1, 1000),
      perInstance: r.int('LIVE_STREAMS_MAX', 10_000, 1, 1_000_000),
    },
    revocationFeedStreams: {
      perClient: r.int('REVOCATION_FEED_STREAMS_PER_CLIENT', 20, 1, 10_000),
      perInstance: r.int('REVOCATION_FEED_STREAMS_MAX', 1000, 1, 100_000),
    },
    bodyLimitBytes: parseBodyLimit(r),
    passwordResetTtlMs: r.duration('PASSWORD_RESET_TTL', '30m', MINUTE, DAY),
    mail: {
      smtpUrl: parseSmtpUrl(r),
      from: parseMailFrom(r, publicUrl),
      passwordResetUrl: parsePasswordResetUrl(r, publicUrl),
    },
    publicUrl,
    webauthn: parseWebAuthn(r, publicUrl),
    dpopProofLeewayMs: r.duration('DPOP_PROOF_LEEWAY', '60s', 1000, 5 * MINUTE),
    mfa: { issuer: r.string('MFA_ISSUER', 'Tessera') },
    ssf: {
      pushTimeoutMs: r.duration('SSF_PUSH_TIMEOUT', '10s', 100, MINUTE),
      maxAttempts: r.int('SSF_MAX_ATTEMPTS', 12, 1, 100),
      retryBaseMs: r.duration('SSF_RETRY_BASE', '2s', 10, 10 * MINUTE),
      pollMaxWaitMs: r.duration('SSF_POLL_MAX_WAIT', '30s', 0, 5 * MINUTE),
      setRetentionMs: r.duration('SSF_SET_RETENTION', '7d', 60 * MINUTE, 3650 * DAY),
    },
    encryptionKeyFile: parseEncryptionKeyFile(r),
  };
  if (config.session.absoluteTimeoutMs < config.session.idleTimeoutMs) {
    r.problems.push('SESSION_ABSOLUTE_TIMEOUT: must not be shorter than SESSION_IDLE_TIMEOUT');
  }
  // An explicit METRICS_ACCESS=token needs a usable token; the production default without one
  // refuses every scrape (and says so at start) rather than stopping a deployment.
  const token = config.metricsToken;
  if (
    config.metricsAccess === 'token' &&
    (token !== undefined || r.raw('METRICS_ACCESS')) &&
    (token?.length ?? 0) < 16
  ) {
    r.problems.push('METRICS_TOKEN: must be 16 characters or more when METRICS_ACCESS is token');
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
