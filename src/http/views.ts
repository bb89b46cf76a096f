import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { Eta } from 'eta';

export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

/**
 * Eta with auto-escaping (`<%= %>` escapes, `<%~ %>` is raw and only for
 * partials), registered as Express's `.eta` engine so routes call
 * `res.render('auth/login', data)`. Templates see `it` = app.locals +
 * res.locals + the route's data.
 */
export function installViews(app: Express, opts: { cache: boolean }): Eta {
  const eta = new Eta({ views: VIEWS_DIR, cache: opts.cache, autoEscape: true, autoTrim: [false, 'nl'] });
  app.engine('eta', (file, data, done) => {
    const name = path.relative(VIEWS_DIR, file);
    eta.renderAsync(name, data as object).then(
      (html) => done(null, html),
      (err: unknown) => done(err as Error),
    );
  });
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'eta');
  return eta;
}
