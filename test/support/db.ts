import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { inject } from 'vitest';
import { parseConfig, type Config } from '../../src/config.ts';
import { connectDatabase, type Database } from '../../src/db/database.ts';
import type { AppDeps } from '../../src/deps.ts';
import { adminQuery } from './net.ts';

export interface TestDb {
  url: string;
  name: string;
  db: Database;
  /** The owner's connection, for arranging and inspecting what the app cannot. */
  owner: Knex;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: one per test file. */
export async function createTestDb(): Promise<TestDb> {
  const adminUrl = inject('pgAdminUrl');
  const name = `slotwise_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name} template ${inject('templateDatabase')}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = connectDatabase({ databaseUrl: url.toString() });
  return {
    url: url.toString(),
    name,
    db,
    owner: db.owner,
    async drop() {
      await db.close();
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    BASE_DOMAIN: 'slotwise.test',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

/** A clock tests can move: `clock.set(...)`, `clock.advance(ms)`. */
export class TestClock {
  private t: number;
  constructor(start = Date.now()) {
    this.t = start;
  }
  now = (): Date => new Date(this.t);
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export function testDeps(t: TestDb, clock = new TestClock(), overrides: Record<string, string> = {}): AppDeps {
  return { config: testConfig(t.url, overrides), db: t.db, now: clock.now };
}
