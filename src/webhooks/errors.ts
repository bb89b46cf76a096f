import { DomainError, InvalidFields } from '../errors.ts';

/** The URL cannot be an endpoint (syntax, scheme, a non-public address): shown at the field. */
export const endpointRefused = (message: string) => new InvalidFields({ url: message }, message);

/** The tenant already has as many endpoints as it may. */
export const tooManyEndpoints = (max: number) =>
  new DomainError('invalid', 'endpoint_limit', 'Too many webhook endpoints', `A business can have at most ${max} webhook endpoints. Remove one before adding another.`);
