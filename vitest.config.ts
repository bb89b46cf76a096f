import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The server's own zone must never matter: unless the caller chose one,
    // run the suite in a zone 14 hours from UTC.
    env: { TZ: process.env.TZ || 'Pacific/Kiritimati', LOG_LEVEL: process.env.LOG_LEVEL || 'silent' },
  },
});
