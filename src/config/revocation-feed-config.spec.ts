import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';

const SECRET = 'x'.repeat(32);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function secretFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-feed-')), 'secret');
  writeFileSync(path, content);
  return path;
}

describe('loadConfig: the revocation feed', () => {
  it('is off without a secret', () => {
    expect(loadConfig({}).revocationFeed).toBeUndefined();
  });

  it('takes the secret inline or from a file (trimmed), with a 15 s heartbeat by default', () => {
    expect(loadConfig({ REVOCATION_FEED_SECRET: SECRET }).revocationFeed).toEqual({
      secret: SECRET,
      heartbeatMs: 15_000,
    });
    const file = secretFile(`${SECRET}\n`);
    expect(
      loadConfig({ REVOCATION_FEED_SECRET_FILE: file, REVOCATION_FEED_HEARTBEAT: '250ms' })
        .revocationFeed,
    ).toEqual({ secret: SECRET, heartbeatMs: 250 });
  });

  it('refuses a short secret, both variables at once, an unreadable file, a bad heartbeat; never echoing the secret', () => {
    const short = 'short-secret';
    const problems = problemsOf({ REVOCATION_FEED_SECRET: short });
    expect(problems).toEqual([expect.stringContaining('REVOCATION_FEED_SECRET')]);
    expect(problems.join()).not.toContain(short);
    expect(
      problemsOf({
        REVOCATION_FEED_SECRET: SECRET,
        REVOCATION_FEED_SECRET_FILE: secretFile(SECRET),
      }),
    ).toEqual([expect.stringContaining('not both')]);
    expect(problemsOf({ REVOCATION_FEED_SECRET_FILE: '/nonexistent/secret' })).toEqual([
      expect.stringContaining('REVOCATION_FEED_SECRET_FILE'),
    ]);
    expect(problemsOf({ REVOCATION_FEED_SECRET: SECRET, REVOCATION_FEED_HEARTBEAT: '5m' })).toEqual(
      [expect.stringContaining('REVOCATION_FEED_HEARTBEAT')],
    );
  });
});

describe('loadConfig: revocation feed stream caps', () => {
  it('caps 20 streams per client and 1000 per instance by default, with or without a secret', () => {
    expect(loadConfig({}).revocationFeedStreams).toEqual({ perClient: 20, perInstance: 1000 });
    expect(
      loadConfig({ REVOCATION_FEED_STREAMS_PER_CLIENT: '2', REVOCATION_FEED_STREAMS_MAX: '3' })
        .revocationFeedStreams,
    ).toEqual({ perClient: 2, perInstance: 3 });
  });

  it('refuses caps below one', () => {
    expect(problemsOf({ REVOCATION_FEED_STREAMS_PER_CLIENT: '0' })).toEqual([
      expect.stringContaining('REVOCATION_FEED_STREAMS_PER_CLIENT'),
    ]);
    expect(problemsOf({ REVOCATION_FEED_STREAMS_MAX: '0' })).toEqual([
      expect.stringContaining('REVOCATION_FEED_STREAMS_MAX'),
    ]);
  });
});
