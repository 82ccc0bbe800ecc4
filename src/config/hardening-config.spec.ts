import { accessStartupNote } from './access-defaults';
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

const TOKEN = 'm'.repeat(32);

describe('TRUST_PROXY validation (issue 10: "true" passed and then crashed the start)', () => {
  it.each([
    'true',
    'TRUE',
    'yes',
    '*',
    'everything',
    '10.0.0.0/33',
    '10.0.0.1/8/2',
    'loopback,true',
  ])('refuses %s, naming the variable', (value) => {
    const problems = problemsOf({ TRUST_PROXY: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TRUST_PROXY: /);
  });

  it('says why true is refused', () => {
    expect(problemsOf({ TRUST_PROXY: 'true' })[0]).toMatch(/never true/);
  });

  it.each([
    ['none', false],
    ['false', false],
    ['2', 2],
    ['loopback', 'loopback'],
    ['loopback, 10.0.0.0/8', 'loopback,10.0.0.0/8'],
    ['192.168.0.1', '192.168.0.1'],
    ['10.0.0.0/255.0.0.0', '10.0.0.0/255.0.0.0'],
    ['fd00::/8,uniquelocal', 'fd00::/8,uniquelocal'],
  ])('accepts %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('every accepted value is one Express can compile', async () => {
    const express = (await import('express')).default;
    for (const value of ['loopback, 10.0.0.0/8', '192.168.0.1', 'fd00::/8,uniquelocal', '3']) {
      const app = express();
      expect(() =>
        app.set('trust proxy', loadConfig({ TRUST_PROXY: value }).trustProxy),
      ).not.toThrow();
    }
  });
});

describe('METRICS_ACCESS and the production defaults', () => {
  it('development: docs and metrics public by default', () => {
    const config = loadConfig({});
    expect(config.docsAccess).toBe('public');
    expect(config.metricsAccess).toBe('public');
  });

  it('production: DOCS_ACCESS defaults to admin and METRICS_ACCESS to token', () => {
    const config = loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN });
    expect(config.docsAccess).toBe('admin');
    expect(config.metricsAccess).toBe('token');
    expect(config.metricsToken).toBe(TOKEN);
  });

  it('production without METRICS_TOKEN still starts (metrics then refuse every scrape)', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(config.metricsAccess).toBe('token');
    expect(accessStartupNote(config, { NODE_ENV: 'production' })).toMatch(/METRICS_TOKEN is unset/);
  });

  it('an explicit METRICS_ACCESS=token needs a token of 16+ characters', () => {
    expect(problemsOf({ METRICS_ACCESS: 'token' })[0]).toMatch(/^METRICS_TOKEN: /);
    expect(problemsOf({ METRICS_ACCESS: 'token', METRICS_TOKEN: 'short' })[0]).toMatch(
      /^METRICS_TOKEN: /,
    );
    expect(problemsOf({ METRICS_ACCESS: 'token', METRICS_TOKEN: TOKEN })).toEqual([]);
    expect(problemsOf({ METRICS_ACCESS: 'sometimes' })[0]).toMatch(/^METRICS_ACCESS: /);
  });

  it('explicit values win over the production defaults', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DOCS_ACCESS: 'off',
      METRICS_ACCESS: 'public',
    });
    expect(config.docsAccess).toBe('off');
    expect(config.metricsAccess).toBe('public');
  });

  it('the start-up line names the defaults in force', () => {
    const env = { NODE_ENV: 'production', METRICS_TOKEN: TOKEN };
    const note = accessStartupNote(loadConfig(env), env);
    expect(note).toContain('DOCS_ACCESS=admin (default)');
    expect(note).toContain('METRICS_ACCESS=token (default)');
    expect(note).toContain(
      'NODE_ENV=production defaults are DOCS_ACCESS=admin and METRICS_ACCESS=token',
    );
    expect(accessStartupNote(loadConfig({}), {})).toContain('DOCS_ACCESS=public (default)');
  });
});

describe('webhook and live-stream settings', () => {
  it('WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE_TARGETS default to false', () => {
    expect(loadConfig({}).webhookTargets).toEqual({ allowHttp: false, allowPrivateTargets: false });
    expect(problemsOf({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' })[0]).toMatch(
      /^WEBHOOK_ALLOW_PRIVATE_TARGETS: /,
    );
  });

  it('live stream caps have defaults and bounds', () => {
    expect(loadConfig({}).liveStreams).toEqual({ perSession: 3, perUser: 10, perInstance: 10_000 });
    expect(problemsOf({ LIVE_STREAMS_PER_SESSION: '0' })[0]).toMatch(/^LIVE_STREAMS_PER_SESSION: /);
  });
});
