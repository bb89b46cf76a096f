/**
 * Operator commands: `npm run admin -- <command>` (or `node dist/cli.js`).
 * Uses DATABASE_URL, or the embedded database in DATA_DIR when it is unset.
 * Exit codes: 0 done, 1 refused (validation), 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { embeddedDefaults, loadConfig } from './config.ts';
import { openDatabaseServer } from './db/connect.ts';
import { connectDatabase } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { setLogLevel } from './log.ts';
import { HttpError } from './http/errors.ts';
import { fieldErrors } from './http/forms.ts';
import { createApiKey } from './api/keys.ts';
import { SignUp } from './tenancy/commands.ts';
import { tenantBySlug, updateStripeAccount } from './tenancy/queries.ts';
import { withTenant } from './db/tenant.ts';
import { refreshAccount } from './payments/connect.ts';
import { signUp } from './tenancy/service.ts';
import type { AppDeps } from './deps.ts';

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  migrate                                   Apply pending database migrations.
  tenant:create --slug S --name N --email E --password P --time-zone Z
                                            Create a tenant and its owner; prints the tenant id.
  apikey:create --tenant SLUG [--name LABEL]
                                            Create an API key; prints it alone on the last line.
  tenant:list                               List tenants.
  stripe:connect --tenant SLUG --account acct_…
                                            Attach an existing Stripe (Standard) account to a tenant; reads
                                            charges_enabled from Stripe when STRIPE_SECRET_KEY is set.
`;

const OPTIONS = {
  migrate: {},
  'tenant:list': {},
  'tenant:create': {
    slug: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, 'time-zone': { type: 'string' },
  },
  'apikey:create': { tenant: { type: 'string' }, name: { type: 'string' } },
  'stripe:connect': { tenant: { type: 'string' }, account: { type: 'string' } },
} as const;
const REQUIRED: Record<string, string[]> = {
  'tenant:create': ['slug', 'name', 'email', 'password', 'time-zone'], 'apikey:create': ['tenant'], 'stripe:connect': ['tenant', 'account'],
};

class Refused extends Error {}

function usage(problem: string): never {
  process.stderr.write(`${problem}\n\n${USAGE}`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (!command || command === '--help' || command === 'help') {
  process.stdout.write(USAGE);
  process.exit(command ? 0 : 2);
}
if (!(command in OPTIONS)) usage(`Unknown command: ${command}`);
let values: Record<string, string | undefined>;
try {
  values = parseArgs({ args: rest, options: OPTIONS[command as keyof typeof OPTIONS], strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
} catch (err) {
  usage((err as Error).message);
}
const missing = (REQUIRED[command] ?? []).filter((k) => !values[k]);
if (missing.length) usage(`Missing ${missing.map((m) => `--${m}`).join(', ')}`);

// On the embedded database, the same defaults as npm start (the same session secret for API keys).
const config = loadConfig(embeddedDefaults(process.env));
setLogLevel(config.logLevel === 'info' ? 'warn' : config.logLevel);
const server = await openDatabaseServer(config);
let code = 0;
try {
  code = await run(command, values);
} catch (err) {
  if (!(err instanceof Refused)) throw err;
  process.stderr.write(`${err.message}\n`);
  code = 1;
} finally {
  await server.stop();
}
process.exit(code);

async function run(cmd: string, v: Record<string, string | undefined>): Promise<number> {
  if (cmd === 'migrate') {
    const applied = await migrate(server.url);
    console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Already up to date.');
    return 0;
  }
  const db = connectDatabase({ databaseUrl: server.url, appDatabaseUrl: config.appDatabaseUrl });
  const deps: AppDeps = { config, db, now: () => new Date() };
  try {
    if (cmd === 'tenant:list') {
      // An operator's cross-tenant read: as the owner, never through the runtime pool.
      const rows = await db.owner('tenants').orderBy('created_at').select('id', 'slug', 'name', 'time_zone', 'created_at');
      for (const r of rows) console.log(`${r.id}\t${r.slug}\t${r.name}\t${r.time_zone}\t${r.created_at.toISOString()}`);
      if (!rows.length) console.log('No tenants.');
      return 0;
    }
    if (cmd === 'tenant:create') {
      const parsed = SignUp.safeParse({ businessName: v.name, slug: v.slug, email: v.email, password: v.password, timeZone: v['time-zone'] });
      if (!parsed.success) throw new Refused(describe(fieldErrors(parsed.error)));
      try {
        const { tenant } = await signUp(deps, parsed.data);
        console.log(tenant.id);
      } catch (err) {
        if (err instanceof HttpError && err.errors) throw new Refused(describe(err.errors));
        throw err;
      }
      return 0;
    }
    if (cmd === 'stripe:connect') {
      const tenant = await tenantBySlug(db, v.tenant!);
      if (!tenant) throw new Refused(`No tenant with slug ${JSON.stringify(v.tenant)}.`);
      if (!/^acct_[A-Za-z0-9]{1,64}$/.test(v.account!)) throw new Refused('--account: a Stripe account id, like acct_1AbCdEf.');
      const taken = await db.owner('tenants').where({ stripe_account_id: v.account }).whereNot({ id: tenant.id }).first('slug');
      if (taken) throw new Refused(`--account: ${v.account} already pays another tenant (${taken.slug}).`);
      if (!config.stripe) {
        // No key: attached, but no charges until Stripe has been asked (the dashboard's return page, or this command with a key).
        await withTenant(db, tenant.id, (tx) => updateStripeAccount(tx, { accountId: v.account!, chargesEnabled: false, detailsSubmitted: false }));
        console.log(`Attached ${v.account} to ${tenant.slug}. STRIPE_SECRET_KEY is not set: payments stay "pay at the venue" until it is, and this is run again.`);
        return 0;
      }
      try {
        const t = await refreshAccount(deps, tenant.id, v.account);
        console.log(`Attached ${v.account} to ${t.slug}: charges enabled ${t.stripeChargesEnabled ? 'yes' : 'no'}, details submitted ${t.stripeDetailsSubmitted ? 'yes' : 'no'}.`);
      } catch (err) {
        throw new Refused(`--account: Stripe did not accept ${v.account}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return 0;
    }
    // apikey:create
    const tenant = await tenantBySlug(db, v.tenant!);
    if (!tenant) throw new Refused(`No tenant with slug ${JSON.stringify(v.tenant)}.`);
    const { key, info } = await createApiKey(deps, tenant.id, v.name ?? 'CLI key');
    console.log(`Created API key "${info.name}" (${info.prefix}) for ${tenant.slug}. It is shown once:`);
    console.log(key);
    return 0;
  } finally {
    await db.close();
  }
}

function describe(errors: Record<string, string>): string {
  const flag: Record<string, string> = { businessName: '--name', slug: '--slug', email: '--email', password: '--password', timeZone: '--time-zone' };
  return Object.entries(errors).map(([k, m]) => `${flag[k] ?? k}: ${m}`).join('\n');
}
