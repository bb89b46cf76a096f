import { describe, expect, it } from 'vitest';
import { ConfigError, embeddedDefaults, parseConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults for development', () => {
    const c = parseConfig({ NODE_ENV: 'development' });
    expect(c).toMatchObject({ env: 'development', port: 3000, baseDomain: 'localhost:3000', scheme: 'http', databaseUrl: undefined });
    // Tenant-supplied URLs: https to public addresses only, unless the operator says otherwise.
    expect(c).toMatchObject({ outboundAllowHttp: false, outboundAllowPrivate: false });
    expect(parseConfig({ NODE_ENV: 'development', OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: '1' })).toMatchObject({ outboundAllowHttp: true, outboundAllowPrivate: true });
    expect(c).toMatchObject({ mailDailyCapPerTenant: 2000, mailUnverifiedAllowance: 20 });
  });

  it('fails closed: without NODE_ENV it is production, and the session secret is required', () => {
    expect(() => parseConfig({})).toThrow(/^Invalid environment variable SESSION_SECRET: is required in production \(NODE_ENV is not set/);
    expect(() => parseConfig({ DATABASE_URL: 'postgres://a@b/c' })).toThrow(/SESSION_SECRET: is required in production/);
    expect(parseConfig({ SESSION_SECRET: 'x'.repeat(32) }).env).toBe('production');
    expect(parseConfig({ NODE_ENV: 'test' }).env).toBe('test');
  });

  it('treats the embedded default (no DATABASE_URL) as development, and nothing else', () => {
    expect(parseConfig(embeddedDefaults({})).env).toBe('development');
    expect(parseConfig(embeddedDefaults({ NODE_ENV: 'test' })).env).toBe('test');
    expect(() => parseConfig(embeddedDefaults({ DATABASE_URL: 'postgres://a@b/c' }))).toThrow(/SESSION_SECRET: is required in production/);
    expect(() => parseConfig(embeddedDefaults({ NODE_ENV: 'production' }))).toThrow(/SESSION_SECRET/);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid environment variable PORT: .*\(got "eighty"\)$/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid environment variable DATABASE_URL/],
    [{ NODE_ENV: 'production' }, /^Invalid environment variable SESSION_SECRET: is required in production$/],
    [{ SESSION_SECRET: 'short' }, /^Invalid environment variable SESSION_SECRET: must be at least 32 characters/],
    [{ BASE_DOMAIN: 'https://x.com' }, /^Invalid environment variable BASE_DOMAIN/],
    [{ APP_DATABASE_URL: 'postgres://a@b/c' }, /^Invalid environment variable DATABASE_URL: is required when APP_DATABASE_URL is set$/],
    [{ OUTBOUND_ALLOW_PRIVATE: 'yes' }, /^Invalid environment variable OUTBOUND_ALLOW_PRIVATE/],
    [{ OUTBOUND_ALLOW_HTTP: 'sometimes' }, /^Invalid environment variable OUTBOUND_ALLOW_HTTP/],
    [{ NODE_ENV: 'test', MAIL_DAILY_CAP_PER_TENANT: 'lots' }, /^Invalid environment variable MAIL_DAILY_CAP_PER_TENANT/],
    [{ NODE_ENV: 'test', MAIL_UNVERIFIED_ALLOWANCE: '-1' }, /^Invalid environment variable MAIL_UNVERIFIED_ALLOWANCE/],
    // Calendar grants are stored encrypted: a configured provider needs the key, and each client id its secret.
    [{ NODE_ENV: 'test', GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's' }, /^Invalid environment variable ENCRYPTION_KEY: is required once a calendar provider is configured$/],
    [{ NODE_ENV: 'test', MS_CLIENT_ID: 'id', MS_CLIENT_SECRET: 's' }, /^Invalid environment variable ENCRYPTION_KEY: is required once a calendar provider is configured$/],
    [{ NODE_ENV: 'test', GOOGLE_CLIENT_ID: 'id', ENCRYPTION_KEY: 'ab'.repeat(32) }, /^Invalid environment variable GOOGLE_CLIENT_SECRET: is required with its pair$/],
    [{ NODE_ENV: 'test', ENCRYPTION_KEY: 'not-hex' }, /^Invalid environment variable ENCRYPTION_KEY: must be 64 hex characters/],
    [{ NODE_ENV: 'test', CALENDAR_POLL_MINUTES: '0' }, /^Invalid environment variable CALENDAR_POLL_MINUTES/],
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it('configures calendar providers only with their keys', () => {
    expect(parseConfig({ NODE_ENV: 'test' })).toMatchObject({ google: undefined, microsoft: undefined, encryptionKey: undefined, calendarPollMinutes: 5 });
    const c = parseConfig({ NODE_ENV: 'test', GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'gs', MS_CLIENT_ID: 'm', MS_CLIENT_SECRET: 'ms', ENCRYPTION_KEY: 'ab'.repeat(32) });
    expect(c.google).toEqual({ clientId: 'g', clientSecret: 'gs' });
    expect(c.microsoft).toEqual({ clientId: 'm', clientSecret: 'ms', graphBase: 'https://graph.microsoft.com/v1.0' });
    expect(c.encryptionKey).toHaveLength(32);
  });
});
