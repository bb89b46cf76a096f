import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Request } from 'express';
import type { AppDeps } from '../deps.ts';
import type { Tenant } from '../tenancy/queries.ts';
import { authenticate, loadUser } from './service.ts';
import type { User } from './queries.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // passport's req.user is our User.
    interface User {
      id: string;
      tenantId: string;
      email: string;
      name: string;
      role: 'owner' | 'admin' | 'staff';
    }
  }
}

/** passport's part of a session. `since`: when the user signed in (epoch ms), for the absolute session lifetime. */
export interface SessionUser {
  tenantId: string;
  userId: string;
  since: number;
}

/**
 * A passport instance of our own (not the module singleton), so that two
 * apps in one process (tests) never share strategies.
 *
 * The session remembers (tenant, user, since); a session presented on
 * another tenant's host deserializes to nobody. Its lifetime is checked in
 * src/http/session.ts (`sessionLifetime`).
 */
export function createPassport(deps: AppDeps): passport.PassportStatic {
  const pp = new passport.Passport() as passport.PassportStatic;
  pp.use(
    'local',
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: true }, (req, email, password, done) => {
      const tenant = (req.res?.locals.tenant as Tenant | undefined) ?? undefined;
      if (!tenant) return done(null, false);
      authenticate(deps, tenant.id, email, password, req.ip).then((user) => done(null, user ?? false), done);
    }),
  );
  // Runs once per sign-in (req.login), so every way in stamps `since` (wall clock, see sessionLifetime).
  pp.serializeUser((user: Express.User, done) => done(null, { tenantId: user.tenantId, userId: user.id, since: Date.now() } satisfies SessionUser));
  pp.deserializeUser((req: Request, stored: SessionUser, done: (err: unknown, user?: User | false) => void) => {
    const tenant = req.res?.locals.tenant as Tenant | undefined;
    if (!tenant || !stored || stored.tenantId !== tenant.id) return done(null, false);
    loadUser(deps, tenant.id, stored.userId).then((user) => done(null, user ?? false), done);
  });
  return pp;
}
