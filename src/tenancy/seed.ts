import type { AppDeps } from '../deps.ts';
import { allTenantIds } from './queries.ts';
import { signUp } from './service.ts';

export const DEMO = {
  slug: 'demo',
  businessName: 'Demo Studio',
  email: 'owner@demo.example',
  password: 'calm-harbor-4821',
  timeZone: 'America/New_York',
} as const;

/** Give an empty database a bookable demo business; do nothing otherwise. */
export async function seedDemoIfEmpty(deps: AppDeps): Promise<boolean> {
  if ((await allTenantIds(deps.db)).length > 0) return false;
  await signUp(deps, { ...DEMO });
  return true;
}
