import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/http/rate-limit.ts';
import { retryAt, type ThrottleRule } from '../../src/auth/throttle.ts';

describe('the client address rate limits count', () => {
  it.each([
    { name: 'IPv4 as it is', ip: '203.0.113.7', want: '203.0.113.7' },
    { name: 'IPv4-mapped IPv6 as its IPv4 address (dual-stack sockets)', ip: '::ffff:203.0.113.7', want: '203.0.113.7' },
    { name: 'IPv6 by its /64', ip: '2001:db8:1:2:3:4:5:6', want: '2001:db8:1:2::/64' },
    { name: 'the same /64 written compressed', ip: '2001:db8:1:2::9', want: '2001:db8:1:2::/64' },
    { name: 'leading zeros and upper case do not make a new client', ip: '2001:0DB8:0001:0002:ffff::1', want: '2001:db8:1:2::/64' },
    { name: 'compression inside the /64', ip: '2001:db8::1', want: '2001:db8:0:0::/64' },
    { name: 'an IPv4 tail is part of the interface id', ip: '64:ff9b::192.0.2.33', want: '64:ff9b:0:0::/64' },
    { name: 'a zone id does not matter', ip: 'fe80::1%eth0', want: 'fe80:0:0:0::/64' },
    { name: 'loopback', ip: '::1', want: '0:0:0:0::/64' },
    { name: 'nothing known', ip: undefined, want: 'unknown' },
  ])('$name', ({ ip, want }) => expect(addressKey(ip)).toBe(want));

  it('gives two /64s of one provider two budgets', () => {
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });
});

describe('the wait after failed sign-ins', () => {
  const rule: ThrottleRule = { free: 10, baseSeconds: 30, maxSeconds: 900, windowMs: 86_400_000 };
  const now = new Date('2026-01-01T00:00:00Z');
  const wait = (failures: number) => {
    const at = retryAt(rule, failures, now);
    return at ? (at.getTime() - now.getTime()) / 1000 : 0;
  };

  it('is none within the free attempts, then doubles up to the cap, never a lockout', () => {
    expect([1, 5, 9].map(wait)).toEqual([0, 0, 0]);
    expect([10, 11, 12, 13, 14, 15, 16].map(wait)).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(wait(10_000)).toBe(900);
  });
});
