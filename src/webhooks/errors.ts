import { HttpError } from '../http/errors.ts';

/** 422: the URL cannot be an endpoint (syntax, scheme, a non-public address). The form shows it at the field. */
export const endpointRefused = (message: string): HttpError =>
  new HttpError(422, 'validation_failed', 'Validation failed', message, { errors: { url: message } });

/** 422: the tenant already has as many endpoints as it may. */
export const tooManyEndpoints = (max: number): HttpError =>
  new HttpError(422, 'endpoint_limit', 'Too many webhook endpoints', `A business can have at most ${max} webhook endpoints. Remove one before adding another.`);
