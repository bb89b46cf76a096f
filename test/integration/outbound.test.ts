import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guardedLookup, outbound, OutboundError, type Resolver } from '../../src/http/outbound.ts';
import { freePort } from '../support/net.ts';

// Every request here goes to a receiver this file starts on 127.0.0.1. A
// refusal is shown by the receiver never seeing a connection.
const httpNoPrivate = { outboundAllowHttp: true, outboundAllowPrivate: false };
const open = { outboundAllowHttp: true, outboundAllowPrivate: true };

interface Seen { method: string; url: string; host: string; body: string }
const seen: Seen[] = [];
let connections = 0;
let bigResponseCut: Promise<boolean> = Promise.resolve(false);
let receiver: http.Server;
let base: string;
let port: number;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host!, body });
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/redirected' }).end();
      } else if (req.url === '/huge') {
        // 8 MiB in 64 KiB chunks, as fast as the client takes them; whether the client hung up first.
        bigResponseCut = new Promise((done) => {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          const chunk = Buffer.alloc(64 * 1024, 'x');
          let left = 128;
          const write = () => {
            while (left > 0) {
              left--;
              if (!res.write(chunk)) return void res.once('drain', write);
            }
            res.end();
          };
          res.on('close', () => done(left > 0 || !res.writableFinished));
          write();
        });
      } else if (req.url === '/silent') {
        // Never answers; the client's total timeout must end it.
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      }
    });
  });
  receiver.on('connection', () => connections++);
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});
beforeEach(() => {
  seen.length = 0;
  connections = 0;
});

/** A resolver stub that records the names asked for and answers `addresses` for every one. */
function stubResolver(addresses: string[]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const reasonOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof OutboundError ? e.reason : `unexpected: ${String(e)}`));

describe('the guarded outbound client', () => {
  it('refuses an IP literal on loopback before connecting, without private destinations allowed', async () => {
    const client = outbound(httpNoPrivate, stubResolver([]));
    expect(await reasonOf(client.fetch(`${base}/hook`, { method: 'POST', body: '{}' }))).toBe('refused: private address');
    expect(await reasonOf(client.fetch(`http://[::ffff:127.0.0.1]:${port}/hook`))).toBe('refused: private address');
    expect(connections).toBe(0);
    expect(seen).toEqual([]);
  });

  it('refuses a name whose lookup answers a private address, before any connection', async () => {
    // The lookup the connection would use, called as net.connect calls it, and
    // nothing else: were the guard broken, no packet may go to 10.0.0.7.
    const toTenNet = stubResolver(['10.0.0.7']);
    const lookup = guardedLookup(httpNoPrivate, toTenNet);
    const answer = await new Promise<{ err: Error | null; address: unknown }>((done) => lookup('hooks.tenant.test', { all: true }, (err, address) => done({ err, address })));
    expect(answer.err).toBeInstanceOf(OutboundError);
    expect((answer.err as OutboundError).reason).toBe('refused: private address');
    expect(toTenNet.asked).toEqual(['hooks.tenant.test']);
    // Through the whole client, with a name that now points at our receiver
    // (DNS rebinding): refused, and the receiver sees no connection.
    const rebound = stubResolver(['127.0.0.1']);
    expect(await reasonOf(outbound(httpNoPrivate, rebound).fetch(`http://rebound.tenant.test:${port}/hook`, { method: 'POST', body: '{}' }))).toBe('refused: private address');
    expect(rebound.asked).toEqual(['rebound.tenant.test']);
    expect(connections).toBe(0);
  });

  it('refuses plain http unless the operator allows it', async () => {
    const client = outbound({ outboundAllowHttp: false, outboundAllowPrivate: true }, stubResolver(['127.0.0.1']));
    expect(await reasonOf(client.fetch(`${base}/hook`))).toBe('refused: not https');
    expect(connections).toBe(0);
  });

  it('connects to the address the guarded lookup answered, when private destinations are allowed', async () => {
    const resolver = stubResolver(['127.0.0.1']);
    const res = await outbound(open, resolver).fetch(`http://hooks.tenant.test:${port}/hook`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(res).toMatchObject({ status: 200, truncated: false });
    expect(res.body.toString()).toBe('{"ok":true}');
    expect(resolver.asked).toEqual(['hooks.tenant.test']);
    expect(seen).toEqual([{ method: 'POST', url: '/hook', host: `hooks.tenant.test:${port}`, body: '{"a":1}' }]);
  });

  it('does not follow redirects: the 3xx is the answer', async () => {
    const res = await outbound(open).fetch(`${base}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/redirected');
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('cuts a huge response at maxBytes and drops the connection', async () => {
    const res = await outbound(open).fetch(`${base}/huge`, { maxBytes: 64 * 1024 });
    expect(res.status).toBe(200);
    expect(res.truncated).toBe(true);
    expect(res.body.length).toBe(64 * 1024);
    expect(await bigResponseCut).toBe(true);
  });

  it('gives up after the total timeout', async () => {
    const started = Date.now();
    expect(await reasonOf(outbound(open).fetch(`${base}/silent`, { timeoutMs: 300 }))).toBe('timed out');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(seen.map((s) => s.url)).toEqual(['/silent']);
  });

  it('names a failure in short words, never with the address or port', async () => {
    const closed = await freePort();
    const err = await outbound(open).fetch(`http://127.0.0.1:${closed}/hook`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).reason).toBe('connection refused');
    expect((err as OutboundError).message).not.toContain(String(closed));
  });
});
