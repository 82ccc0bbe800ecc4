import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the contract defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.accessTokenTtlMs).toBe(15 * 60_000);
    expect(config.session.idleTimeoutMs).toBe(30 * 60_000);
    expect(config.session.rememberMeIdleTimeoutMs).toBe(30 * 86_400_000);
    expect(config.session.absoluteTimeoutMs).toBe(30 * 86_400_000);
    expect(config.session.maxPerUser).toBe(10);
    expect(config.refreshReuseGraceMs).toBe(10_000);
    expect(config.login).toEqual({
      maxFailures: 5,
      lockoutMs: 15 * 60_000,
      accountMaxFailures: 100,
    });
    expect(config.rateLimit).toEqual({
      enabled: true,
      limit: 10,
      windowMs: 60_000,
      global: { limit: 600, windowMs: 60_000 },
    });
    expect(config.cookieSecure).toBe(true);
    expect(config.jwt.algorithm).toBe('RS256');
    expect(config.trustProxy).toBe(false);
    expect(config.docsAccess).toBe('public');
    expect(config.bodyLimitBytes).toBe(100 * 1024);
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reconciles revocations every second by default, at most every 2 s', () => {
    expect(loadConfig({}).revocationReconcileIntervalMs).toBe(1000);
    expect(loadConfig({ REVOCATION_RECONCILE_INTERVAL: '2s' }).revocationReconcileIntervalMs).toBe(
      2000,
    );
    expect(problemsOf({ REVOCATION_RECONCILE_INTERVAL: '5m' })).toEqual([
      expect.stringContaining('REVOCATION_RECONCILE_INTERVAL'),
    ]);
  });

  it('honours CLUSTER_BUS_DROP_PUBLISH only under NODE_ENV=test', () => {
    expect(
      loadConfig({ NODE_ENV: 'test', CLUSTER_BUS_DROP_PUBLISH: 'true' }).clusterBusDropPublish,
    ).toBe(true);
    expect(problemsOf({ NODE_ENV: 'production', CLUSTER_BUS_DROP_PUBLISH: 'true' })).toEqual([
      expect.stringContaining('CLUSTER_BUS_DROP_PUBLISH'),
    ]);
  });

  it('honours TEST_CHEAP_PASSWORD_HASHING only under NODE_ENV=test, and is off by default', () => {
    expect(loadConfig({}).cheapPasswordHashing).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).cheapPasswordHashing).toBe(false);
    expect(
      loadConfig({ NODE_ENV: 'test', TEST_CHEAP_PASSWORD_HASHING: 'true' }).cheapPasswordHashing,
    ).toBe(true);
    for (const NODE_ENV of ['production', 'development']) {
      expect(problemsOf({ NODE_ENV, TEST_CHEAP_PASSWORD_HASHING: 'true' })).toEqual([
        expect.stringContaining('TEST_CHEAP_PASSWORD_HASHING'),
      ]);
    }
  });

  it('names the variable that holds a bad value', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: 'banana' })).toEqual([
      expect.stringContaining('ACCESS_TOKEN_TTL: "banana"'),
    ]);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: '99999', COOKIE_SECURE: 'maybe', JWT_ALGORITHM: 'HS256' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'COOKIE_SECURE',
      'JWT_ALGORITHM',
      'PORT',
    ]);
  });

  it('reads the step-up settings (STEP_UP_MAX_AGE 1s-1d, ADMIN_REQUIRE_MFA boolean)', () => {
    expect(loadConfig({}).stepUpMaxAgeMs).toBe(10 * 60_000);
    expect(loadConfig({}).adminRequireMfa).toBe(true);
    expect(loadConfig({ STEP_UP_MAX_AGE: '5m', ADMIN_REQUIRE_MFA: 'false' })).toMatchObject({
      stepUpMaxAgeMs: 5 * 60_000,
      adminRequireMfa: false,
    });
    expect(problemsOf({ STEP_UP_MAX_AGE: 'soon' })).toEqual([
      expect.stringContaining('STEP_UP_MAX_AGE'),
    ]);
    expect(problemsOf({ STEP_UP_MAX_AGE: '2d' })).toHaveLength(1);
    expect(problemsOf({ ADMIN_REQUIRE_MFA: 'maybe' })).toEqual([
      expect.stringContaining('ADMIN_REQUIRE_MFA'),
    ]);
  });

  it('bounds the access-token lifetime to 1-60 minutes', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: '61m' })).toHaveLength(1);
    expect(problemsOf({ ACCESS_TOKEN_TTL: '30s' })).toHaveLength(1);
    expect(loadConfig({ ACCESS_TOKEN_TTL: '60m' }).accessTokenTtlMs).toBe(3_600_000);
  });

  it('derives the issuer from PUBLIC_URL (an absolute URL) unless JWT_ISSUER is set', () => {
    expect(loadConfig({}).jwt.issuer).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }).jwt.issuer).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com/tessera/' }).jwt.issuer).toBe(
      'https://auth.example.com/tessera',
    );
    expect(
      loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'tessera' }).jwt.issuer,
    ).toBe('tessera');
  });

  it('issues service tokens for 5 minutes by default, 1-60 minutes allowed', () => {
    expect(loadConfig({}).serviceTokenTtlMs).toBe(5 * 60_000);
    expect(loadConfig({ SERVICE_TOKEN_TTL: '60m' }).serviceTokenTtlMs).toBe(3_600_000);
    expect(problemsOf({ SERVICE_TOKEN_TTL: '61m' })).toHaveLength(1);
    expect(problemsOf({ SERVICE_TOKEN_TTL: '30s' })).toHaveLength(1);
  });

  it('never echoes a database URL, which may carry a password', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://user:s3cret@db/x' });
    expect(problem).toContain('DATABASE_URL');
    expect(problem).not.toContain('s3cret');
  });

  it('parses rate limits, proxies and origins', () => {
    const config = loadConfig({
      RATE_LIMIT_AUTH: '20/30s',
      TRUST_PROXY: '1',
      CORS_ORIGINS: 'https://a.example, http://localhost:5173',
    });
    expect(config.rateLimit).toEqual({
      enabled: true,
      limit: 20,
      windowMs: 30_000,
      global: { limit: 600, windowMs: 60_000 },
    });
    expect(config.trustProxy).toBe(1);
    expect(config.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(problemsOf({ RATE_LIMIT_AUTH: 'lots' })).toHaveLength(1);
  });

  it('parses the paths that write no access line', () => {
    expect(loadConfig({}).accessLogSkipPaths).toEqual([
      '/health/live',
      '/health/ready',
      '/metrics',
      '/auth/verify',
    ]);
    expect(loadConfig({ ACCESS_LOG_SKIP: 'none' }).accessLogSkipPaths).toEqual([]);
    expect(loadConfig({ ACCESS_LOG_SKIP: '/metrics, /x' }).accessLogSkipPaths).toEqual([
      '/metrics',
      '/x',
    ]);
    expect(problemsOf({ ACCESS_LOG_SKIP: 'metrics' })).toEqual([
      expect.stringContaining('ACCESS_LOG_SKIP'),
    ]);
  });

  it('parses the failed-login account ceiling and the global auth budget', () => {
    expect(loadConfig({}).login.accountMaxFailures).toBe(100);
    expect(loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '250' }).login.accountMaxFailures).toBe(250);
    expect(problemsOf({ LOGIN_ACCOUNT_MAX_FAILURES: '0' })).toEqual([
      expect.stringContaining('LOGIN_ACCOUNT_MAX_FAILURES'),
    ]);
    expect(loadConfig({ RATE_LIMIT_AUTH_GLOBAL: '50/10s' }).rateLimit.global).toEqual({
      limit: 50,
      windowMs: 10_000,
    });
    expect(problemsOf({ RATE_LIMIT_AUTH_GLOBAL: 'many' })).toEqual([
      expect.stringContaining('RATE_LIMIT_AUTH_GLOBAL'),
    ]);
  });

  it('refuses an absolute lifetime shorter than the idle timeout', () => {
    expect(problemsOf({ SESSION_ABSOLUTE_TIMEOUT: '10m', SESSION_IDLE_TIMEOUT: '30m' })).toEqual([
      expect.stringContaining('SESSION_ABSOLUTE_TIMEOUT'),
    ]);
  });
});

describe('loadConfig: second factors', () => {
  const keyFile = (content: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cfg-'));
    writeFileSync(join(dir, 'key'), content);
    return join(dir, 'key');
  };

  it('derives the WebAuthn relying party from PUBLIC_URL, which defaults to localhost:PORT', () => {
    expect(loadConfig({ PORT: '4000' }).webauthn).toEqual({
      rpId: 'localhost',
      origins: ['http://localhost:4000'],
    });
    const config = loadConfig({ PUBLIC_URL: 'https://auth.example.com/' });
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.webauthn).toEqual({
      rpId: 'auth.example.com',
      origins: ['https://auth.example.com'],
    });
    expect(config.mfa.issuer).toBe('Tessera');
  });

  it('accepts origins on subdomains of WEBAUTHN_RP_ID and refuses others', () => {
    const config = loadConfig({
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_ORIGINS: 'https://app.example.com, https://example.com',
    });
    expect(config.webauthn.origins).toEqual(['https://app.example.com', 'https://example.com']);
    expect(
      problemsOf({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://evil.com' }),
    ).toEqual([expect.stringContaining('WEBAUTHN_ORIGINS: "https://evil.com"')]);
    expect(
      problemsOf({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'http://app.example.com' }),
    ).toEqual([expect.stringContaining('WEBAUTHN_ORIGINS')]);
    expect(problemsOf({ WEBAUTHN_RP_ID: 'https://example.com' })).toEqual(
      expect.arrayContaining([expect.stringContaining('WEBAUTHN_RP_ID')]),
    );
    expect(problemsOf({ PUBLIC_URL: 'ftp://x' })).toEqual([expect.stringContaining('PUBLIC_URL')]);
  });

  it('refuses a supplied RSA signing key under 3072 bits, naming the variable', () => {
    const pem = (bits: number): string =>
      generateKeyPairSync('rsa', { modulusLength: bits })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
    const weak = pem(2048);
    const [problem] = problemsOf({ JWT_PRIVATE_KEY: weak });
    expect(problem).toMatch(/^JWT_PRIVATE_KEY: .*2048 bits.*3072/);
    expect(problem).not.toContain('PRIVATE KEY-----');
    expect(problemsOf({ JWT_PRIVATE_KEY_FILE: keyFile(weak) })).toEqual([
      expect.stringMatching(/^JWT_PRIVATE_KEY_FILE: .*2048 bits/),
    ]);
    expect(problemsOf({ JWT_PRIVATE_KEY: pem(3072) })).toEqual([]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(problemsOf({ JWT_PRIVATE_KEY: ec, JWT_ALGORITHM: 'ES256' })).toEqual([]);
  });

  it('checks ENCRYPTION_KEY_FILE at start without echoing its content', () => {
    const good = keyFile(randomBytes(32).toString('base64'));
    expect(loadConfig({ ENCRYPTION_KEY_FILE: good }).encryptionKeyFile).toBe(good);
    const short = keyFile('c2hvcnQta2V5LXNlY3JldA==');
    const [problem] = problemsOf({ ENCRYPTION_KEY_FILE: short });
    expect(problem).toContain('ENCRYPTION_KEY_FILE');
    expect(problem).not.toContain('c2hvcnQta2V5LXNlY3JldA');
    expect(problemsOf({ ENCRYPTION_KEY_FILE: '/no/such/file' })).toEqual([
      expect.stringContaining('ENCRYPTION_KEY_FILE'),
    ]);
  });
});

describe('loadConfig: email and CORS (contract v2)', () => {
  it('sends no email by default; From and the reset page derive from PUBLIC_URL', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://auth.example.com' });
    expect(config.mail).toEqual({
      smtpUrl: undefined,
      from: 'Tessera <no-reply@auth.example.com>',
      passwordResetUrl: 'https://auth.example.com/account/reset',
    });
    expect(config.corsMaxAgeSeconds).toBe(600);
  });

  it('accepts smtp and smtps URLs, a From address and a reset page', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://mailer:s3cret@smtp.example.com:465',
      MAIL_FROM: 'Example Security <security@example.com>',
      PASSWORD_RESET_URL: 'https://app.example.com/reset',
      CORS_MAX_AGE: '2h',
    });
    expect(config.mail.smtpUrl).toBe('smtps://mailer:s3cret@smtp.example.com:465');
    expect(config.mail.from).toBe('Example Security <security@example.com>');
    expect(config.mail.passwordResetUrl).toBe('https://app.example.com/reset');
    expect(config.corsMaxAgeSeconds).toBe(7200);
  });

  it('refuses a bad SMTP_URL without echoing it (it may hold a password)', () => {
    const problems = problemsOf({ SMTP_URL: 'http://user:hunter2@mail.example.com' });
    expect(problems).toEqual(['SMTP_URL: is not an smtp:// or smtps:// URL with a host']);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('refuses a From with a line break, and a reset URL with a fragment', () => {
    expect(problemsOf({ MAIL_FROM: 'a@example.com\r\nBcc: x@example.com' })).toHaveLength(1);
    expect(problemsOf({ MAIL_FROM: 'not an address' })[0]).toMatch(/^MAIL_FROM/);
    expect(problemsOf({ PASSWORD_RESET_URL: 'https://app.example.com/reset#x' })[0]).toMatch(
      /^PASSWORD_RESET_URL/,
    );
    expect(problemsOf({ CORS_MAX_AGE: '2d' })[0]).toMatch(/^CORS_MAX_AGE/);
  });
});

describe('loadConfig: Shared Signals transmitter', () => {
  it('defaults push and poll settings and bounds them', () => {
    expect(loadConfig({}).ssf).toEqual({
      pushTimeoutMs: 10_000,
      maxAttempts: 12,
      retryBaseMs: 2_000,
      pollMaxWaitMs: 30_000,
      setRetentionMs: 7 * 86_400_000,
    });
    expect(
      loadConfig({
        SSF_PUSH_TIMEOUT: '3s',
        SSF_MAX_ATTEMPTS: '3',
        SSF_RETRY_BASE: '200ms',
        SSF_POLL_MAX_WAIT: '0',
        SSF_SET_RETENTION: '1h',
      }).ssf,
    ).toEqual({
      pushTimeoutMs: 3_000,
      maxAttempts: 3,
      retryBaseMs: 200,
      pollMaxWaitMs: 0,
      setRetentionMs: 3_600_000,
    });
    expect(
      problemsOf({
        SSF_PUSH_TIMEOUT: '2m',
        SSF_MAX_ATTEMPTS: '0',
        SSF_POLL_MAX_WAIT: '6m',
        SSF_SET_RETENTION: '5m',
      })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['SSF_MAX_ATTEMPTS', 'SSF_POLL_MAX_WAIT', 'SSF_PUSH_TIMEOUT', 'SSF_SET_RETENTION']);
  });
});
