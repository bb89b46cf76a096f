import { describe, expect, it } from 'vitest';
import { addressRange, allowedAddresses, checkOutboundUrl, isPublicAddress, OutboundError } from '../../src/http/outbound.ts';

// Address values only: nothing in this file opens a connection.
const strict = { outboundAllowHttp: false, outboundAllowPrivate: false };
const httpOnly = { outboundAllowHttp: true, outboundAllowPrivate: false };
const open = { outboundAllowHttp: true, outboundAllowPrivate: true };

describe('which destination addresses the outbound client refuses', () => {
  it.each([
    { address: '127.0.0.1', range: 'loopback', why: 'RFC 1122 loopback' },
    { address: '127.12.0.9', range: 'loopback', why: 'all of 127/8' },
    { address: '::1', range: 'loopback', why: 'IPv6 loopback' },
    { address: '10.0.0.1', range: 'private', why: 'RFC 1918 10/8' },
    { address: '172.16.0.1', range: 'private', why: 'RFC 1918 172.16/12' },
    { address: '192.168.1.1', range: 'private', why: 'RFC 1918 192.168/16' },
    { address: '169.254.169.254', range: 'linkLocal', why: 'cloud metadata service, RFC 3927 link-local' },
    { address: '100.64.0.1', range: 'carrierGradeNat', why: 'RFC 6598 CGNAT' },
    { address: 'fc00::1', range: 'uniqueLocal', why: 'RFC 4193 unique local' },
    { address: 'fe80::1', range: 'linkLocal', why: 'IPv6 link-local' },
    { address: '::ffff:127.0.0.1', range: 'loopback', why: 'IPv4-mapped loopback, unwrapped' },
    { address: '::ffff:a9fe:a9fe', range: 'linkLocal', why: 'IPv4-mapped metadata address in hex' },
    { address: '::7f00:1', range: 'ipv4Compatible', why: 'IPv4-compatible ::127.0.0.1 (RFC 4291, deprecated)' },
    { address: '0.0.0.0', range: 'unspecified', why: 'reaches this host on Linux' },
    { address: '::', range: 'unspecified', why: 'IPv6 unspecified' },
    { address: '224.0.0.1', range: 'multicast', why: 'RFC 3171 multicast' },
    { address: '255.255.255.255', range: 'broadcast', why: 'limited broadcast' },
    { address: '64:ff9b::7f00:1', range: 'rfc6052', why: 'NAT64 prefix embedding 127.0.0.1' },
    { address: '192.0.2.10', range: 'reserved', why: 'RFC 5737 documentation range' },
  ])('refuses $address ($why)', ({ address, range }) => {
    expect(addressRange(address)).toBe(range);
    expect(isPublicAddress(address)).toBe(false);
    expect(() => allowedAddresses([{ address, family: address.includes(':') ? 6 : 4 }], strict)).toThrow(OutboundError);
  });

  it.each(['93.184.216.34', '2606:4700::1111'])('allows the public unicast address %s (checked, never connected to)', (address) => {
    expect(addressRange(address)).toBe('unicast');
    expect(isPublicAddress(address)).toBe(true);
    expect(allowedAddresses([{ address, family: address.includes(':') ? 6 : 4 }], strict)).toHaveLength(1);
  });

  it('refuses a name when any one of its addresses is not public, unless the operator allows private destinations', () => {
    const mixed = [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }];
    expect(() => allowedAddresses(mixed, strict)).toThrow('refused: private address');
    expect(allowedAddresses(mixed, open)).toEqual(mixed);
  });

  it('treats what is not an address as not public', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });
});

describe('checkOutboundUrl, the registration check', () => {
  it.each([
    { url: 'https://hooks.example.com/slotwise', config: strict },
    { url: 'https://93.184.216.34/hooks', config: strict },
    { url: 'http://hooks.example.com/x', config: httpOnly },
    { url: 'http://127.0.0.1:9/x', config: open },
  ])('accepts $url', ({ url, config }) => {
    expect(checkOutboundUrl(url, config)).toMatchObject({ ok: true });
  });

  it.each([
    { url: 'not a url', config: strict, reason: 'refused: invalid address', message: 'Enter a full https:// address.' },
    { url: 'ftp://example.com/x', config: httpOnly, reason: 'refused: invalid address', message: 'Use an http:// or https:// address.' },
    { url: 'http://hooks.example.com/x', config: strict, reason: 'refused: not https', message: 'Use an https:// address: plain http is not accepted.' },
    { url: 'https://127.0.0.1:8443/x', config: strict, reason: 'refused: private address', message: '127.0.0.1 is a loopback address (this server itself).' },
    { url: 'http://169.254.169.254/latest/meta-data/', config: httpOnly, reason: 'refused: private address', message: '169.254.169.254 is a link-local address' },
    { url: 'https://[::1]/x', config: strict, reason: 'refused: private address', message: '::1 is a loopback address' },
    { url: 'https://[::ffff:10.1.2.3]/x', config: strict, reason: 'refused: private address', message: 'is a private network address' },
    // The URL parser reads these as 127.0.0.1: the check sees what a connection would use.
    { url: 'https://2130706433/x', config: strict, reason: 'refused: private address', message: '127.0.0.1 is a loopback' },
    { url: 'https://0x7f.1/x', config: strict, reason: 'refused: private address', message: '127.0.0.1 is a loopback' },
  ])('refuses $url: $reason', ({ url, config, reason, message }) => {
    const r = checkOutboundUrl(url, config);
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.ok ? '' : r.message).toContain(message);
  });
});

describe('the guarded client is the only way out', () => {
  it('is the only HTTP client in src/: no fetch, undici or node:http(s) request anywhere else', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '../../src');
    const offenders: string[] = [];
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      if (file === path.join(root, 'http/outbound.ts')) continue;
      for (const [i, line] of (await readFile(file, 'utf8')).split('\n').entries()) {
        if (/^\s*import type /.test(line)) continue; // types carry no requests
        if (/(^|[^.\w])fetch\(|from ['"](undici|node:https?|https?|axios|got|node-fetch)['"]/.test(line)) offenders.push(`${path.relative(root, file)}:${i + 1}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
