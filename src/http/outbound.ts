import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, request } from 'undici';
import type { Config } from '../config.ts';

/**
 * The one HTTP client for URLs a tenant supplies (webhook endpoints now,
 * calendar feeds later). A tenant must not be able to make the server call
 * inside its own network (loopback services, the cloud metadata address,
 * private ranges), so the destination is checked where the socket is made:
 *
 * - a host name in the `lookup` the connection itself uses, after DNS,
 *   every address it resolves to: a name that resolved to a public address
 *   at registration and to 127.0.0.1 now (DNS rebinding) is refused;
 * - an IP literal before connecting, since Node never runs `lookup` for one.
 *
 * Only `range() === 'unicast'` passes (ipaddr.js names every other range),
 * so a range nobody thought of is refused rather than allowed. Redirects
 * are never followed (a 3xx is the answer), the connect and the whole
 * exchange have time limits, and the body read stops at `maxBytes`.
 */

export type OutboundConfig = Pick<Config, 'outboundAllowHttp' | 'outboundAllowPrivate'>;

/**
 * Why a request was not made or did not complete, in words safe to show a
 * tenant: never a socket error naming addresses or ports (the original
 * error stays in `cause`, for the operator's log).
 */
export type OutboundFailure =
  | 'refused: private address'
  | 'refused: not https'
  | 'refused: invalid address'
  | 'timed out'
  | 'host not found'
  | 'connection refused'
  | 'connection lost'
  | 'TLS error'
  | 'connection failed';

export class OutboundError extends Error {
  readonly reason: OutboundFailure;
  constructor(reason: OutboundFailure, options?: { cause?: unknown }) {
    super(reason, options);
    this.reason = reason;
  }
}

/**
 * ipaddr.js reports IPv4-compatible addresses (`::a.b.c.d`, deprecated by
 * RFC 4291 §2.5.5.1) as plain unicast, though some stacks route them to the
 * embedded IPv4 address (`[::127.0.0.1]`, which the URL parser writes
 * `[::7f00:1]`). It is the one range added to ipaddr.js's own.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** The named range of an address ('unicast' for a public one), IPv4-mapped IPv6 unwrapped first. */
export function addressRange(address: string): string {
  if (!ipaddr.isValid(address)) return 'invalid';
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') return ip.range();
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().range();
  const range = v6.range();
  return range === 'unicast' && v6.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : range;
}

export const isPublicAddress = (address: string): boolean => addressRange(address) === 'unicast';

/** What a tenant is told when the address they typed is not public. */
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address (this server itself)',
  private: 'a private network address',
  linkLocal: 'a link-local address (such as the cloud metadata service)',
  carrierGradeNat: 'a carrier-grade NAT address',
  uniqueLocal: 'a private network address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
};

export type UrlCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: OutboundFailure; message: string };

/**
 * Whether a URL may be fetched under the operator's settings, as far as
 * the URL alone tells: its syntax, its scheme, and an IP-literal host. A
 * host name is checked again at every connection. Registration shows
 * `message`; delivery records `reason`.
 */
export function checkOutboundUrl(raw: string, config: OutboundConfig): UrlCheck {
  const schemes = config.outboundAllowHttp ? 'an http:// or https://' : 'an https://';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'refused: invalid address', message: `Enter a full ${schemes.slice(3)} address.` };
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    return { ok: false, reason: 'refused: invalid address', message: `Use ${schemes} address.` };
  }
  // The address first: switching to https would not make it acceptable.
  const host = bareHost(url.hostname);
  if (isIP(host) && !config.outboundAllowPrivate && !isPublicAddress(host)) {
    const words = RANGE_WORDS[addressRange(host)] ?? 'a reserved address';
    return { ok: false, reason: 'refused: private address', message: `${host} is ${words}. Only public internet addresses can receive webhooks.` };
  }
  if (url.protocol === 'http:' && !config.outboundAllowHttp) {
    return { ok: false, reason: 'refused: not https', message: 'Use an https:// address: plain http is not accepted.' };
  }
  return { ok: true, url };
}

const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/** Every address a host name resolves to. Tests pass a stub; nothing else should. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, order: 'verbatim' }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** The resolved addresses a connection may use: all of them, or a refusal if any is not public. */
export function allowedAddresses(addresses: LookupAddress[], config: OutboundConfig): LookupAddress[] {
  // One private address among public ones refuses the name: the connection
  // may pick any of them (Happy Eyeballs tries several).
  if (!config.outboundAllowPrivate && addresses.some((a) => !isPublicAddress(a.address))) throw new OutboundError('refused: private address');
  return addresses;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls.connect that resolves with `resolve` and lets only allowed addresses through. */
export function guardedLookup(config: OutboundConfig, resolve: Resolver) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    resolve(hostname)
      .then((found) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
        const addresses = allowedAddresses(family ? found.filter((a) => a.family === family) : found, config);
        if (!addresses.length) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((err: Error) => callback(err, ''));
  };
}

/** A connector that refuses a non-public IP literal before any socket exists, and checks names in lookup. */
function guardedConnector(config: OutboundConfig, resolve: Resolver, timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout, lookup: guardedLookup(config, resolve) as never });
  return (options, callback) => {
    if (isIP(options.hostname) && !config.outboundAllowPrivate && !isPublicAddress(options.hostname)) {
      callback(new OutboundError('refused: private address'), null);
      return;
    }
    connect(options, callback);
  };
}

export interface OutboundRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, connect to last byte read. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Bytes of the body read at most; the connection is dropped past them. */
  maxBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body went on past `maxBytes` and was cut there. */
  truncated: boolean;
}

export const OUTBOUND_DEFAULTS = { timeoutMs: 10_000, connectTimeoutMs: 5_000, maxBytes: 64 * 1024 };

export interface Outbound {
  checkUrl(url: string): UrlCheck;
  /** Resolves with any HTTP answer (3xx included, never followed); rejects only with an OutboundError. */
  fetch(url: string, req?: OutboundRequest): Promise<OutboundResponse>;
}

export function outbound(config: OutboundConfig, resolve: Resolver = systemResolver): Outbound {
  return {
    checkUrl: (url) => checkOutboundUrl(url, config),
    async fetch(raw, req = {}) {
      const checked = checkOutboundUrl(raw, config);
      if (!checked.ok) throw new OutboundError(checked.reason);
      const { timeoutMs, connectTimeoutMs, maxBytes } = { ...OUTBOUND_DEFAULTS, ...req };
      const signal = AbortSignal.timeout(timeoutMs);
      // An agent per request: no pooled socket outlives the call, so nothing
      // keeps the process open and every connection is made (and checked) anew.
      const agent = new Agent({ connect: guardedConnector(config, resolve, connectTimeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      try {
        const res = await request(checked.url, { dispatcher: agent, method: req.method ?? 'GET', headers: req.headers, body: req.body, signal });
        const { body, truncated } = await readCapped(res.body, maxBytes);
        return { status: res.statusCode, headers: res.headers, body, truncated };
      } catch (err) {
        throw classify(err, signal);
      } finally {
        agent.destroy().catch(() => undefined);
      }
    },
  };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      body.destroy();
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Name a failure in the short words of OutboundFailure, keeping the original as `cause`. */
function classify(err: unknown, signal: AbortSignal): OutboundError {
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if (e instanceof OutboundError) return e;
  }
  if (signal.aborted) return new OutboundError('timed out', { cause: err });
  const codes: string[] = [];
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  const reason: OutboundFailure = codes.some((c) => TIMEOUT_CODES.has(c)) ? 'timed out'
    : codes.some((c) => NOT_FOUND_CODES.has(c)) ? 'host not found'
    : codes.includes('ECONNREFUSED') ? 'connection refused'
    : codes.some((c) => LOST_CODES.has(c)) ? 'connection lost'
    : codes.some((c) => /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(c)) ? 'TLS error'
    : 'connection failed';
  return new OutboundError(reason, { cause: err });
}
