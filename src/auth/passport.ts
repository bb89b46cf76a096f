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

interface SessionUser {
  tenantId: string;
  userId: string;
}

/**
 * A passport instance of our own (not the module singleton), so that two
 * apps in one process (tests) never share strategies.
 *
 * The session remembers (tenant, user); a session presented on another
 * tenant's host deserializes to nobody.
 */
export function createPassport(deps: AppDeps): passport.PassportStatic {
  const pp = new passport.Passport() as passport.PassportStatic;
  pp.use(
    'local',
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: true }, (req, email, password, done) => {
      const tenant = (req.res?.locals.tenant as Tenant | undefined) ?? undefined;
      if (!tenant) return done(null, false);
      authenticate(deps, tenant.id, email, password).then((user) => done(null, user ?? false), done);
    }),
  );
  pp.serializeUser((user: Express.User, done) => done(null, { tenantId: user.tenantId, userId: user.id } satisfies SessionUser));
  pp.deserializeUser((req: Request, stored: SessionUser, done: (err: unknown, user?: User | false) => void) => {
    const tenant = req.res?.locals.tenant as Tenant | undefined;
    if (!tenant || !stored || stored.tenantId !== tenant.id) return done(null, false);
    loadUser(deps, tenant.id, stored.userId).then((user) => done(null, user ?? false), done);
  });
  return pp;
}
