import type { Config } from '../config.ts';
import { unsealGrant } from './crypto.ts';
import { googleClient } from './google.ts';
import { outlookClient } from './outlook.ts';
import type { ProviderClient } from './provider.ts';
import type { Connection } from './queries.ts';

/** The provider client of one connection, acting with its decrypted grant. */
export function clientFor(config: Config, tenantId: string, connection: Connection): ProviderClient {
  const grant = unsealGrant(config, connection.grantSealed);
  return connection.provider === 'google' ? googleClient(config, tenantId, connection.id, grant) : outlookClient(config, tenantId, connection.id, grant, connection.resourceTimeZone);
}

export const PROVIDER_NAME: Record<Connection['provider'], string> = { google: 'Google Calendar', outlook: 'Outlook' };
