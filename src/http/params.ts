import { z } from 'zod';
import { notFound } from './errors.ts';

const Uuid = z.uuid();

/**
 * An id from the URL. Anything that is not a uuid cannot name a row, so it
 * is the same 404 as an id of another tenant's row: never a 400 or a 500
 * that would tell them apart.
 */
export function uuidParam(value: unknown, detail?: string): string {
  const p = Uuid.safeParse(value);
  if (!p.success) throw notFound(detail);
  return p.data;
}
