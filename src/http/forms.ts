import type { z } from 'zod';

/** First message per field, keyed by the field's dotted path, for re-rendered forms. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
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
