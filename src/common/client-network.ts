import { isIPv4, isIPv6 } from 'node:net';

/**
 * The client's network, as a throttling key: the IPv4 /24 or the IPv6 /64 of an address. One
 * subscriber usually holds a whole IPv6 /64 (and can rotate through 2^64 addresses in it), so
 * keying IPv6 by full address would give an attacker an unlimited budget. IPv4 is keyed by /24
 * for the same reason at a smaller scale (a host often has a few addresses of its subnet).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d, how a dual-stack socket reports IPv4 peers) counts as IPv4.
 */
export function clientNetworkKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const ip = address.split('%')[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`;
  return address;
}

/** The eight 16-bit groups of an IPv6 address, in canonical lower-case hex without padding. */
function ipv6Groups(ip: string): string[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((group) =>
    parseInt(group, 16).toString(16),
  );
}
