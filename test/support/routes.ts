import type { Express } from 'express';

export interface ListedRoute {
  path: string;
  methods: string[];
}

interface RouterLike {
  listRoutes(): { path: string | RegExp; methods?: string[]; router?: RouterLike }[];
}

/** Every route registered on the app, with mounted routers' prefixes joined (router 2.3 listRoutes). */
export function listRoutes(app: Express): ListedRoute[] {
  const out: ListedRoute[] = [];
  const walk = (router: RouterLike, prefix: string) => {
    for (const r of router.listRoutes()) {
      const path = typeof r.path === 'string' ? r.path : String(r.path);
      const full = (prefix + (path === '/' && r.router ? '' : path)).replace(/\/{2,}/g, '/') || '/';
      if (r.router) walk(r.router, full === '/' ? '' : full);
      else out.push({ path: full.length > 1 ? full.replace(/\/$/, '') : full, methods: (r.methods ?? []).map((m) => m.toUpperCase()) });
    }
  };
  walk((app as unknown as { router: RouterLike }).router, '');
  return out;
}

/** A concrete URL for a route pattern: every `:param` becomes a random-looking id. */
export function concretePath(pattern: string): string {
  return pattern.replace(/\{[^}]*\}/g, '').replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000').replace(/\*\w+/g, 'x');
}

/**
 * Where a request to the route ("METHOD /path") goes in a walk over all of
 * them: reads first, then writes, then writes that use up their row, then
 * the ones that change who the caller is (handing ownership over, accepting
 * an invitation signs in as the new member, signing out), so that every
 * other route still finds its rows and its caller.
 */
export function walkRank(key: string): number {
  if (key.startsWith('GET ')) return 0;
  if (key.endsWith(' /logout')) return 5;
  if (key === 'POST /invite/:token') return 4;
  if (key.endsWith('/ownership')) return 3;
  if (key.startsWith('DELETE ') || /\/(delete|remove|revoke|cancel|outcome|disconnect)$/.test(key)) return 2;
  return 1;
}
