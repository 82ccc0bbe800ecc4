import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { AppException } from './app.exception';

/** WEBHOOK_ALLOW_HTTP / WEBHOOK_ALLOW_PRIVATE_TARGETS: both false outside development and tests. */
export interface WebhookTargetPolicy {
  /** Allow plain http:// targets (development only: the signed payload travels in clear). */
  readonly allowHttp: boolean;
  /** Allow targets that resolve to loopback, private or other internal addresses (tests). */
  readonly allowPrivateTargets: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves every address of a host name (A and AAAA); injectable so tests control DNS. */
export type ResolveAll = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolveAll: ResolveAll = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export interface SafeWebhookTarget {
  url: URL;
  /** Host name without IPv6 brackets, as used for SNI and the Host header. */
  hostname: string;
  /** Every resolved address, all checked; connect only to one of these (no second lookup). */
  addresses: ResolvedAddress[];
}

/**
 * IANA special-purpose ranges that a webhook must never reach: a server-side request to them
 * would hit this host, its network or a cloud metadata service (SSRF). Sources: RFC 6890 and the
 * IANA IPv4/IPv6 special-purpose address registries.
 */
const BLOCKED_V4: ReadonlyArray<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const BLOCKED_V6: ReadonlyArray<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard-only'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockList(ranges: ReadonlyArray<[string, number, string]>, type: 'ipv4' | 'ipv6') {
  return ranges.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, type);
    return { list, reason };
  });
}

const V4_RULES = blockList(BLOCKED_V4, 'ipv4');
const V6_RULES = blockList(BLOCKED_V6, 'ipv6');

/** The 16 bytes of an IPv6 address (accepts a trailing dotted IPv4 part and a zone id). */
export function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0];
  const groups: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  groups.push(...left, ...new Array<number>(zeros).fill(0), ...right);
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/**
 * The IPv4 address an IPv6 address carries in its low 32 bits when the network would deliver it
 * to that IPv4 host: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96);
 * 6to4 (2002::/16) carries it in bytes 2–5.
 */
export function embeddedIpv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address);
  const zeroUntil = (n: number): boolean => bytes.slice(0, n).every((byte) => byte === 0);
  const v4 = (offset: number): string => bytes.slice(offset, offset + 4).join('.');
  if (zeroUntil(10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12);
  if (zeroUntil(12) && !zeroUntil(16)) return v4(12);
  const nat64 = [0, 0x64, 0xff, 0x9b, ...new Array<number>(8).fill(0)];
  if (nat64.every((byte, i) => bytes[i] === byte)) return v4(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2);
  return undefined;
}

/** Why an address is not a public unicast destination, or undefined when it is. */
export function blockedReason(address: string): string | undefined {
  if (isIPv4(address)) return V4_RULES.find(({ list }) => list.check(address, 'ipv4'))?.reason;
  if (isIP(address.split('%')[0]) !== 6) return 'not an IP address';
  const inner = embeddedIpv4(address);
  // ::1 and :: are in the IPv4-compatible range too; the IPv6 rules name them correctly.
  const v6 = V6_RULES.find(({ list }) => list.check(address.split('%')[0], 'ipv6'))?.reason;
  if (v6) return v6;
  if (inner) {
    const reason = blockedReason(inner);
    return reason ? `${reason} (embedded in IPv6)` : undefined;
  }
  return undefined;
}

function refuse(message: string): AppException {
  return new AppException('validation_failed', `Webhook URL refused: ${message}`, {
    errors: [{ field: 'url', messages: [message] }],
  });
}

/**
 * Checks a webhook URL before it is stored and again before every delivery: https only (unless
 * allowed), no credentials in the URL, and every address the host resolves to must be public.
 * Every address is checked, not just the first, because the HTTP client may try any of them.
 * The WHATWG parser has already turned numeric tricks (0x7f000001, 2130706433, 0177.0.0.1,
 * 127.1) into dotted IPv4, so an IP literal is checked as such without DNS.
 */
export async function assertSafeWebhookUrl(
  input: string,
  policy: WebhookTargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<SafeWebhookTarget> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refuse('is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw refuse(policy.allowHttp ? 'must use http or https' : 'must use https');
  }
  if (url.username || url.password) throw refuse('must not carry credentials');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIPv4(hostname) ? 4 : 6 }];
  } else {
    try {
      addresses = await resolveAll(hostname);
    } catch {
      throw refuse('the host name does not resolve');
    }
    if (addresses.length === 0) throw refuse('the host name does not resolve');
  }
  if (!policy.allowPrivateTargets) {
    for (const { address } of addresses) {
      const reason = blockedReason(address);
      if (reason) throw refuse(`resolves to a ${reason} address, which is not allowed`);
    }
  }
  return { url, hostname, addresses };
}
