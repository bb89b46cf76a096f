import path from 'node:path';
import { z } from 'zod';

/**
 * Everything the process reads from the environment, validated once at start.
 * A missing or malformed variable stops the process with one line naming it
 * (see `loadConfig`), never a stack trace halfway through a request.
 */
const DEV_SECRET = 'slotwise-development-secret-not-for-production-use';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const EnvSchema = z
  .object({
    // Unset means production: a deploy that forgets it fails closed (SESSION_SECRET
    // required). `npm start` and the CLI on the embedded database set
    // development themselves (`embeddedDefaults`).
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).optional(),
    BASE_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, 'must be a host name with an optional port, e.g. slotwise.app or localhost:3000')
      .default('localhost:3000'),
    PUBLIC_SCHEME: z.enum(['http', 'https']).default('http'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    APP_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATA_DIR: z.string().min(1).default('./.data'),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    TRUST_PROXY: z.string().min(1).default('loopback'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    MAIL_FROM: z.string().min(3).default('Slotwise <no-reply@slotwise.localhost>'),
    SENDGRID_API_KEY: z.string().min(1).optional(),
    SENDGRID_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    SEED_DEMO: bool.default(true),
    RATE_LIMIT_MULTIPLIER: z.coerce.number().positive().max(10_000).default(1),
    OUTBOUND_ALLOW_HTTP: bool.default(false),
    OUTBOUND_ALLOW_PRIVATE: bool.default(false),
    MAIL_DAILY_CAP_PER_TENANT: z.coerce.number().int().min(1).max(10_000_000).default(2000),
    MAIL_UNVERIFIED_ALLOWANCE: z.coerce.number().int().min(0).max(10_000).default(20),
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_[A-Za-z0-9_]+$/, 'must be a Stripe secret key (sk_… or rk_…)').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9_]+$/, 'must be a webhook signing secret (whsec_…)').optional(),
    STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).regex(/^https?:\/\/[^/?#]+\/?$/, 'must be http(s)://host:port with no path').optional(),
    PLATFORM_FEE_PERCENT: z.coerce.number().min(0).max(100).default(0),
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_AUTH_URL: z.url({ protocol: /^https?$/ }).optional(),
    GOOGLE_TOKEN_URL: z.url({ protocol: /^https?$/ }).optional(),
    GOOGLE_REVOKE_URL: z.url({ protocol: /^https?$/ }).optional(),
    GOOGLE_API_ROOT: z.url({ protocol: /^https?$/ }).optional(),
    MS_CLIENT_ID: z.string().min(1).optional(),
    MS_CLIENT_SECRET: z.string().min(1).optional(),
    MS_LOGIN_BASE: z.url({ protocol: /^https?$/ }).optional(),
    MS_GRAPH_BASE: z.url({ protocol: /^https?$/ }).optional(),
    ENCRYPTION_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 random bytes)').optional(),
    CALENDAR_POLL_MINUTES: z.coerce.number().int().min(1).max(59).default(5),
  })
  .superRefine((env, ctx) => {
    if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['STRIPE_WEBHOOK_SECRET'], message: 'is required when STRIPE_SECRET_KEY is set (only a signed webhook confirms a payment)' });
    }
    if (env.APP_DATABASE_URL && !env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required when APP_DATABASE_URL is set' });
    }
    // Fail closed: only a development or test run may use the built-in secret.
    if (env.NODE_ENV === 'production' && !env.SESSION_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required in production' });
    }
    if (!!env.GOOGLE_CLIENT_ID !== !!env.GOOGLE_CLIENT_SECRET) {
      ctx.addIssue({ code: 'custom', path: [env.GOOGLE_CLIENT_ID ? 'GOOGLE_CLIENT_SECRET' : 'GOOGLE_CLIENT_ID'], message: 'is required with its pair' });
    }
    if (!!env.MS_CLIENT_ID !== !!env.MS_CLIENT_SECRET) {
      ctx.addIssue({ code: 'custom', path: [env.MS_CLIENT_ID ? 'MS_CLIENT_SECRET' : 'MS_CLIENT_ID'], message: 'is required with its pair' });
    }
    // Calendar grants are stored encrypted: no provider without the key.
    if ((env.GOOGLE_CLIENT_ID || env.MS_CLIENT_ID) && !env.ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEY'], message: 'is required once a calendar provider is configured' });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string | undefined;
  /** Registrable host (with port in development) under which tenants get `{slug}.{baseDomain}`. */
  baseDomain: string;
  scheme: 'http' | 'https';
  databaseUrl: string | undefined;
  appDatabaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  sessionSecret: string;
  trustProxy: string;
  workerConcurrency: number;
  mailFrom: string;
  /** Send mail through SendGrid when set; otherwise the outbox transport. */
  sendgridApiKey: string | undefined;
  /** Overrides SendGrid's API host (proxies, tests). */
  sendgridBaseUrl: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  seedDemo: boolean;
  /** Scales every rate limit (load tests, staging); 1 in production. */
  rateLimitMultiplier: number;
  /** Tenant-supplied URLs (webhooks) may use plain http, not only https. */
  outboundAllowHttp: boolean;
  /**
   * Tenant-supplied URLs may reach loopback, private, link-local and other
   * non-public addresses (src/http/outbound.ts). Only for a closed network
   * or tests: it lets any tenant make the server call inside its network.
   */
  outboundAllowPrivate: boolean;
  /** Most messages one tenant may send per UTC day (account mail aside); the rest wait for the next day. */
  mailDailyCapPerTenant: number;
  /** Messages a business may send before its owner has verified their email address; the rest wait. */
  mailUnverifiedAllowance: number;
  /** Stripe Connect (src/payments/stripe.ts); without a key, paid services are paid at the venue. */
  stripe: StripeConfig | undefined;
  /** Google Calendar, when GOOGLE_CLIENT_ID/SECRET are set; endpoints overridable for proxies and tests. */
  google: { clientId: string; clientSecret: string; authUrl?: string; tokenUrl?: string; revokeUrl?: string; apiRoot?: string } | undefined;
  /** Microsoft 365 / Outlook.com through msal-node and Graph; MS_LOGIN_BASE replaces the login host of every msal request. */
  microsoft: { clientId: string; clientSecret: string; loginBase?: string; graphBase: string } | undefined;
  /** 32 bytes for AES-256-GCM of stored calendar grants. */
  encryptionKey: Buffer | undefined;
  /** Minutes between the reconcile polls of every calendar connection. */
  calendarPollMinutes: number;
}

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  /** STRIPE_API_BASE parsed: the client talks to this host instead of Stripe's (proxies, tests). */
  api: { host: string; port: number; protocol: 'http' | 'https' } | undefined;
  /** The application fee on each charge, in percent of the amount. */
  platformFeePercent: number;
}

function stripeApi(base: string | undefined): StripeConfig['api'] {
  if (!base) return undefined;
  const u = new URL(base);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : protocol === 'http' ? 80 : 443, protocol };
}

export class ConfigError extends Error {}

/**
 * The embedded default (`npm start`, `npm run dev`, the CLI without
 * DATABASE_URL) is a local run: development unless the caller said
 * otherwise, so a newcomer needs no environment at all. With DATABASE_URL
 * nothing is assumed: unset NODE_ENV stays production.
 */
export function embeddedDefaults(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return source.DATABASE_URL || source.NODE_ENV ? source : { ...source, NODE_ENV: 'development' };
}

export function parseConfig(source: NodeJS.ProcessEnv): Config {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = issue.path.join('.') || 'environment';
    const got = typeof source[name] === 'string' ? ` (got ${JSON.stringify(source[name])})` : '';
    const unsetEnv = name === 'SESSION_SECRET' && source.NODE_ENV === undefined
      ? ' (NODE_ENV is not set, which means production; for a local run use npm start or set NODE_ENV=development)'
      : '';
    throw new ConfigError(`Invalid environment variable ${name}: ${issue.message}${got}${unsetEnv}`);
  }
  const e = result.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    baseDomain: e.BASE_DOMAIN,
    scheme: e.PUBLIC_SCHEME,
    databaseUrl: e.DATABASE_URL,
    appDatabaseUrl: e.APP_DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    sessionSecret: e.SESSION_SECRET ?? DEV_SECRET,
    trustProxy: e.TRUST_PROXY,
    workerConcurrency: e.WORKER_CONCURRENCY,
    mailFrom: e.MAIL_FROM,
    sendgridApiKey: e.SENDGRID_API_KEY,
    sendgridBaseUrl: e.SENDGRID_BASE_URL,
    logLevel: e.LOG_LEVEL,
    seedDemo: e.SEED_DEMO,
    rateLimitMultiplier: e.RATE_LIMIT_MULTIPLIER,
    outboundAllowHttp: e.OUTBOUND_ALLOW_HTTP,
    outboundAllowPrivate: e.OUTBOUND_ALLOW_PRIVATE,
    mailDailyCapPerTenant: e.MAIL_DAILY_CAP_PER_TENANT,
    mailUnverifiedAllowance: e.MAIL_UNVERIFIED_ALLOWANCE,
    stripe: e.STRIPE_SECRET_KEY
      ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET!, api: stripeApi(e.STRIPE_API_BASE), platformFeePercent: e.PLATFORM_FEE_PERCENT }
      : undefined,
    google: e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET
      ? {
        clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET,
        ...(e.GOOGLE_AUTH_URL ? { authUrl: e.GOOGLE_AUTH_URL } : {}),
        ...(e.GOOGLE_TOKEN_URL ? { tokenUrl: e.GOOGLE_TOKEN_URL } : {}),
        ...(e.GOOGLE_REVOKE_URL ? { revokeUrl: e.GOOGLE_REVOKE_URL } : {}),
        ...(e.GOOGLE_API_ROOT ? { apiRoot: e.GOOGLE_API_ROOT } : {}),
      }
      : undefined,
    microsoft: e.MS_CLIENT_ID && e.MS_CLIENT_SECRET
      ? {
        clientId: e.MS_CLIENT_ID, clientSecret: e.MS_CLIENT_SECRET,
        ...(e.MS_LOGIN_BASE ? { loginBase: e.MS_LOGIN_BASE.replace(/\/$/, '') } : {}),
        graphBase: (e.MS_GRAPH_BASE ?? 'https://graph.microsoft.com/v1.0').replace(/\/$/, ''),
      }
      : undefined,
    encryptionKey: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'hex') : undefined,
    calendarPollMinutes: e.CALENDAR_POLL_MINUTES,
  };
}

/** For entry points: parse or print one line and exit(1). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return parseConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

export function tenantOrigin(config: Pick<Config, 'scheme' | 'baseDomain'>, slug: string): string {
  return `${config.scheme}://${slug}.${config.baseDomain}`;
}

export function rootOrigin(config: Pick<Config, 'scheme' | 'baseDomain'>): string {
  return `${config.scheme}://${config.baseDomain}`;
}
