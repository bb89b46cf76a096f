import type { z } from 'zod';

/** Fields that were renamed: an old spelling gets told the new one. */
const RENAMED: Record<string, string> = { timezone: 'time_zone' };

/**
 * First message per field, keyed by the field's dotted path, for re-rendered
 * forms and problem+json. A field that should not be there (strict API
 * bodies) is named under its own path, like any other.
 */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const key = [...issue.path, k].join('.');
        out[key] ??= RENAMED[k] ? `unknown field: it is spelled ${RENAMED[k]}` : 'unknown field';
      }
      continue;
    }
    const key = issue.path.join('.') || '_form';
    out[key] ??= issue.message;
  }
  return out;
}

/** A form body as flat strings (what the user typed), safe to echo back into inputs. */
export function formValues(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== 'password' && k !== '_csrf') out[k] = v;
  }
  return out;
}
