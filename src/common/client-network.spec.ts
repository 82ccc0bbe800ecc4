import { clientNetworkKey } from './client-network';

describe('clientNetworkKey', () => {
  it('keys IPv4 by /24', () => {
    expect(clientNetworkKey('203.0.113.7')).toBe('203.0.113.0/24');
    expect(clientNetworkKey('203.0.113.250')).toBe(clientNetworkKey('203.0.113.7'));
    expect(clientNetworkKey('203.0.114.7')).not.toBe(clientNetworkKey('203.0.113.7'));
  });

  it('keys IPv6 by /64, whatever the spelling', () => {
    const key = clientNetworkKey('2001:db8:abcd:12::1');
    expect(key).toBe('2001:db8:abcd:12::/64');
    expect(clientNetworkKey('2001:0db8:ABCD:0012:ffff:ffff:ffff:fffe')).toBe(key);
    expect(clientNetworkKey('2001:db8:abcd:12:1234:5678:9abc:def0')).toBe(key);
    expect(clientNetworkKey('2001:db8:abcd:13::1')).not.toBe(key);
    expect(clientNetworkKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetworkKey('::1')).toBe('0:0:0:0::/64');
    expect(clientNetworkKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    expect(clientNetworkKey('::ffff:203.0.113.7')).toBe('203.0.113.0/24');
    expect(clientNetworkKey('::FFFF:203.0.113.9')).toBe('203.0.113.0/24');
  });

  it('passes anything else through', () => {
    expect(clientNetworkKey(undefined)).toBe('unknown');
    expect(clientNetworkKey('not-an-ip')).toBe('not-an-ip');
  });
});
