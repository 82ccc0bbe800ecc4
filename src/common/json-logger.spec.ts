import { JsonLogger } from './json-logger';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = [];
  const sut = new JsonLogger(level, (line) => lines.push(line));
  const parsed = (): Array<Record<string, unknown>> =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { sut, lines, parsed };
}

describe('JsonLogger (pino)', () => {
  it('writes one JSON object per line with a string level, ISO time, context and message', () => {
    const { sut, lines, parsed } = capture();
    sut.log('hello', 'Bootstrap');
    sut.warn({ msg: 'alert', rule: 'device.new_sign_in' }, 'SecurityAlert');
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    expect(parsed()[0]).toMatchObject({ level: 'info', context: 'Bootstrap', msg: 'hello' });
    expect(Date.parse(parsed()[0].time as string)).not.toBeNaN();
    expect(parsed()[1]).toMatchObject({
      level: 'warn',
      context: 'SecurityAlert',
      msg: 'alert',
      rule: 'device.new_sign_in',
    });
  });

  it('honours the level', () => {
    const { sut, parsed } = capture('warn');
    sut.debug('d');
    sut.log('i');
    sut.warn('w');
    sut.error('e');
    expect(parsed().map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('keeps an error message and stack', () => {
    const { sut, parsed } = capture();
    sut.error(new Error('boom'), 'Worker');
    sut.error('failed', 'a stack trace', 'Worker');
    expect(parsed()[0]).toMatchObject({ level: 'error', msg: 'boom', context: 'Worker' });
    expect(parsed()[0].stack).toContain('Error: boom');
    expect(parsed()[1]).toMatchObject({ msg: 'failed', stack: 'a stack trace' });
  });

  it('redacts credentials wherever a request, a response or a body carries them', () => {
    const { sut, lines } = capture();
    const secrets = {
      password: 'pw-0123456789',
      refreshToken: 'rt-0123456789',
      csrfToken: 'csrf-0123456789',
      code: '123456',
      auth: 'Bearer at-0123456789',
      cookie: '__Host-tessera_at=ck-0123456789',
    };
    sut.log({ msg: 'login', password: secrets.password, refreshToken: secrets.refreshToken });
    sut.log({
      msg: 'request',
      req: {
        headers: { authorization: secrets.auth, cookie: secrets.cookie },
        body: { password: secrets.password, code: secrets.code },
      },
      res: { headers: { 'set-cookie': [secrets.cookie] } },
    });
    sut.log({ msg: 'body', body: { csrfToken: secrets.csrfToken, code: secrets.code } });
    sut.log({ msg: 'headers', headers: { authorization: secrets.auth } });
    const text = lines.join('\n');
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(text.match(/\[redacted\]/g)?.length).toBe(10);
  });

  it('adds nothing it was not given: no pid, no hostname', () => {
    const { sut, parsed } = capture();
    sut.log('x');
    expect(Object.keys(parsed()[0]).sort()).toEqual(['level', 'msg', 'time']);
  });
});
