import type { Express } from 'express';
import request from 'supertest';

/** A JSON API client with a bearer key (any Host: the key decides the tenant). */
export function api(app: Express, key: string) {
  const withAuth = (t: request.Test) => t.set('Authorization', `Bearer ${key}`).set('Accept', 'application/json');
  return {
    get: (path: string) => withAuth(request(app).get(`/api/v1${path}`)),
    delete: (path: string) => withAuth(request(app).delete(`/api/v1${path}`)),
    post: (path: string, body?: unknown, headers: Record<string, string> = {}) => withAuth(request(app).post(`/api/v1${path}`)).set(headers).send(body as object),
    put: (path: string, body: unknown) => withAuth(request(app).put(`/api/v1${path}`)).send(body as object),
    patch: (path: string, body: unknown) => withAuth(request(app).patch(`/api/v1${path}`)).send(body as object),
  };
}
