import type { Request, Response } from 'express';
import { HttpError } from '../http/errors.ts';

/**
 * Conditional requests (RFC 9110 §13) for what two integrations may edit at
 * once: GET answers an ETag of the row's version (src/catalog/queries.ts
 * `rowVersion`), and a PATCH or PUT that sends If-Match is refused with 412
 * when the version moved since, instead of silently overwriting the other
 * writer's change. Without If-Match the write goes ahead, as before.
 */
export const etagOf = (version: string) => `"${version}"`;

export const preconditionFailed = () =>
  new HttpError(412, 'precondition_failed', 'Changed since you read it', 'It changed since the version in If-Match. Read it again and retry.');

export function setEtag(res: Response, version: string): void {
  res.set('ETag', etagOf(version));
}

/** If-Match with the strong comparison: '*' matches any current version, otherwise one listed tag must be the current one. */
export function checkIfMatch(req: Request, version: string): void {
  const header = req.get('If-Match');
  if (header === undefined || header.trim() === '*') return;
  const current = etagOf(version);
  if (!header.split(',').some((tag) => tag.trim() === current)) throw preconditionFailed();
}
