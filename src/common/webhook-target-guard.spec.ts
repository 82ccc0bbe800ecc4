import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppException } from './app.exception';
import { pinnedLookup, postToWebhook } from './pinned-webhook-client';
import {
  assertSafeWebhookUrl,
  blockedReason,
  embeddedIpv4,
  type ResolveAll,
  systemResolveAll,
  type WebhookTargetPolicy,
} from './webhook-target-guard';

const STRICT: WebhookTargetPolicy = { allowHttp: false, allowPrivateTargets: false };
const publicDns: ResolveAll = () => Promise.resolve([{ address: '93.184.215.14', family: 4 }]);
const noDns: ResolveAll = () => Promise.reject(new Error('DNS must not be asked'));

async function refusal(url: string, policy = STRICT, dns: ResolveAll = noDns): Promise<string> {
  try {
    await assertSafeWebhookUrl(url, policy, dns);
  } catch (error) {
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).code).toBe('validation_failed');
    return (error as AppException).detail ?? '';
  }
  throw new Error(`${url} was accepted`);
}

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00::1', 'unique local'],
    ['fc00::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback (embedded in IPv6)'],
    ['::ffff:7f00:1', 'loopback (embedded in IPv6)'],
    ['::ffff:a9fe:a9fe', 'link-local (embedded in IPv6)'],
    ['::127.0.0.1', 'loopback (embedded in IPv6)'],
    ['64:ff9b::10.0.0.1', 'private (embedded in IPv6)'],
    ['64:ff9b::7f00:1', 'loopback (embedded in IPv6)'],
    ['2002:7f00:1::1', 'loopback (embedded in IPv6)'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111'])(
    'accepts the public address %s',
    (address) => {
      expect(blockedReason(address)).toBeUndefined();
    },
  );

  it('finds the IPv4 address carried by mapped, compatible, NAT64 and 6to4 addresses', () => {
    expect(embeddedIpv4('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(embeddedIpv4('::1.2.3.4')).toBe('1.2.3.4');
    expect(embeddedIpv4('64:ff9b::102:304')).toBe('1.2.3.4');
    expect(embeddedIpv4('2002:102:304::')).toBe('1.2.3.4');
    expect(embeddedIpv4('2606:4700::1111')).toBeUndefined();
  });
});

describe('assertSafeWebhookUrl', () => {
  it.each([
    'https://0x7f000001/',
    'https://2130706433/',
    'https://0177.0.0.1/',
    'https://127.1/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/',
    'https://100.64.0.1/',
    'https://[fd00::1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
  ])('refuses the numeric host trick %s without asking DNS', async (url) => {
    expect(await refusal(url)).toMatch(/resolves to a .* address/);
  });

  it('refuses http unless allowed, and credentials in the URL', async () => {
    expect(await refusal('http://hooks.example.com/', STRICT, publicDns)).toMatch(/https/);
    expect(await refusal('https://user:pw@hooks.example.com/', STRICT, publicDns)).toMatch(
      /credentials/,
    );
    await expect(
      assertSafeWebhookUrl('http://hooks.example.com/', { ...STRICT, allowHttp: true }, publicDns),
    ).resolves.toMatchObject({ hostname: 'hooks.example.com' });
  });

  it('refuses a name when ANY of its addresses is internal', async () => {
    const mixed: ResolveAll = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 },
        { address: '::1', family: 6 },
      ]);
    expect(await refusal('https://hooks.example.com/', STRICT, mixed)).toMatch(/loopback/);
  });

  it('refuses localhost through the real resolver', async () => {
    expect(await refusal('https://localhost:8443/hook', STRICT, systemResolveAll)).toMatch(
      /loopback/,
    );
  });

  it('refuses a name that does not resolve', async () => {
    const nxdomain: ResolveAll = () => Promise.reject(new Error('ENOTFOUND'));
    expect(await refusal('https://nowhere.invalid/', STRICT, nxdomain)).toMatch(/not resolve/);
  });

  it('accepts a public name and returns every checked address', async () => {
    const target = await assertSafeWebhookUrl('https://hooks.example.com/x', STRICT, publicDns);
    expect(target.addresses).toEqual([{ address: '93.184.215.14', family: 4 }]);
  });

  it('lets the test flag through to private targets', async () => {
    const target = await assertSafeWebhookUrl(
      'http://127.0.0.1:9/',
      { allowHttp: true, allowPrivateTargets: true },
      noDns,
    );
    expect(target.addresses[0].address).toBe('127.0.0.1');
  });
});

describe('postToWebhook: checked at delivery and pinned', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.host ?? '');
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects to the address that was checked, not to a second DNS answer', async () => {
    // A rebinding resolver: the first answer is checked; any later one would be internal.
    let calls = 0;
    const rebinding: ResolveAll = () => {
      calls += 1;
      return Promise.resolve([{ address: calls === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 }]);
    };
    const policy = { allowHttp: true, allowPrivateTargets: true };
    const status = await postToWebhook(
      `http://hooks.test:${port}/x`,
      { headers: {}, body: '{}', signal: AbortSignal.timeout(5000) },
      policy,
      rebinding,
    );
    expect(status).toBe(204);
    expect(calls).toBe(1);
    expect(seen.at(-1)).toBe(`hooks.test:${port}`);
  });

  it('refuses at delivery a name that now resolves to an internal address', async () => {
    const nowInternal: ResolveAll = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    await expect(
      postToWebhook(
        `https://hooks.example.com:${port}/x`,
        { headers: {}, body: '{}', signal: AbortSignal.timeout(5000) },
        STRICT,
        nowInternal,
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('pinnedLookup answers only with the pinned addresses', () => {
    const lookupFn = pinnedLookup([
      { address: '203.0.114.1', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    const answers: unknown[] = [];
    lookupFn('evil.example', { family: 6 }, (_err, address) => answers.push(address));
    lookupFn('evil.example', { all: true }, (_err, address) => answers.push(address));
    expect(answers).toEqual([
      '2606:4700::1',
      [
        { address: '203.0.114.1', family: 4 },
        { address: '2606:4700::1', family: 6 },
      ],
    ]);
  });
});
