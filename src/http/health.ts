import { Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { listMigrationFiles } from '../db/migrate.ts';

/** Liveness and readiness for the platform's probes; no auth, no session, any host. */
export function healthRoutes(deps: AppDeps): Router {
  const r = Router();
  const expected = listMigrationFiles();

  r.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  r.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      const files = await expected;
      const { rows } = await deps.db.app.raw<{ rows: { name: string }[] }>('select name from knex_migrations');
      const applied = new Set(rows.map((r) => r.name));
      const pending = files.filter((f) => !applied.has(f));
      if (pending.length) {
        res.status(503).json({ status: 'migrations_pending', pending });
        return;
      }
      res.json({ status: 'ready', migrations: files.length });
    } catch {
      res.status(503).json({ status: 'database_unreachable' });
    }
  });
  return r;
}
