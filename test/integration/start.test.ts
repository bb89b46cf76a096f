import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.ts';
import { createTestDb } from '../support/db.ts';

/**
 * `npm start` as a newcomer runs it: a real process with its own embedded
 * PostgreSQL in a fresh data directory, stopped with Ctrl-C (SIGINT).
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slotwise-start-'));
  await chmod(dir, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['src/start.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start timed out:\n${out}`)), 60_000);
    child.stdout!.on('data', () => out.includes('Press Ctrl-C to stop') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${out}`))));
  });
  return { child, output: () => out };
}

/** Run src/start.ts to its exit (it should refuse to start). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['src/start.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: process.env.TZ, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.once('exit', (code) => (clearTimeout(timer), resolve({ code, output }))));
}

async function waitForOutput(s: Started, text: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!s.output().includes(text)) {
    if (Date.now() > until) throw new Error(`no "${text}" in:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGINT');
  });
}

/** GET with a Host header (fetch does not let a caller set Host). */
function get(port: number, host: string, urlPath: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, headers: { Host: host } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on('error', reject);
  });
}

async function postgresAcceptsOn(port: number): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('runs Postgres, migrations, the demo tenant, web and worker; Ctrl-C stops it all; a restart reuses the data', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const env = { PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), DATA_DIR: path.join(dir, 'data'), BASE_DOMAIN: `localhost:${port}` };

    const first = await start(env);
    expect(first.output()).toContain(`http://demo.localhost:${port}`);
    expect(first.output()).toContain('(just created)');
    const home = await get(port, `demo.localhost:${port}`, '/');
    expect(home.status, first.output()).toBe(200);
    expect(home.text).toContain('Demo Studio');
    expect((await get(port, `localhost:${port}`, '/readyz')).status).toBe(200);
    await waitForOutput(first, 'Worker connected'); // the worker logs it once its queue connection is up
    expect(await stop(first), first.output()).toBe(0);
    expect(await postgresAcceptsOn(pgPort)).toBe(false);

    const second = await start(env);
    expect(second.output()).not.toContain('(just created)');
    expect(second.output()).toContain('Slotwise is running');
    expect((await get(port, `demo.localhost:${port}`, '/')).text).toContain('Demo Studio');
    expect(await stop(second), second.output()).toBe(0);
  }, 120_000);

  it('against DATABASE_URL fails closed without SESSION_SECRET, and never seeds the demo tenant', async () => {
    const db = await createTestDb(); // an empty, migrated database someone deployed to
    try {
      const port = await freePort();
      const env = { PORT: String(port), DATABASE_URL: db.url, BASE_DOMAIN: `localhost:${port}`, DATA_DIR: path.join(dir, 'unused') };

      const refused = await runToExit(env);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('Invalid environment variable SESSION_SECRET: is required in production');

      const started = await start({ ...env, SESSION_SECRET: 'a-real-deployment-secret-0123456789abcdef' });
      expect(started.output()).toContain('Slotwise is running');
      expect(started.output()).not.toContain('Demo tenant');
      expect(started.output()).not.toContain('calm-harbor-4821');
      expect((await get(port, `demo.localhost:${port}`, '/')).status).toBe(404);
      expect(await db.owner('tenants').count<{ n: string }[]>('* as n')).toEqual([{ n: '0' }]);
      expect(await stop(started), started.output()).toBe(0);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
