import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults for development', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ env: 'development', port: 3000, baseDomain: 'localhost:3000', scheme: 'http', databaseUrl: undefined });
    // Tenant-supplied URLs: https to public addresses only, unless the operator says otherwise.
    expect(c).toMatchObject({ outboundAllowHttp: false, outboundAllowPrivate: false });
    expect(parseConfig({ OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_ALLOW_PRIVATE: '1' })).toMatchObject({ outboundAllowHttp: true, outboundAllowPrivate: true });
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
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
