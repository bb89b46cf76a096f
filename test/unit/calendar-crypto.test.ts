import { describe, expect, it } from 'vitest';
import { sealGrant, unsealGrant } from '../../src/calendars/crypto.ts';
import { newChannelSecret, readChannelSecret } from '../../src/calendars/channels.ts';
import { signState, verifyState } from '../../src/calendars/oauth-state.ts';

const config = { encryptionKey: Buffer.alloc(32, 7), sessionSecret: 'test-secret-test-secret-test-secret-0123' };
const T = '11111111-1111-4111-8111-111111111111';
const C = '22222222-2222-4222-8222-222222222222';

describe('calendar secrets', () => {
  it('seals grants with AES-256-GCM: fresh IV each time, tampering detected, other keys refused', () => {
    const a = sealGrant(config, 'refresh-token-1');
    const b = sealGrant(config, 'refresh-token-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh');
    expect(unsealGrant(config, a)).toBe('refresh-token-1');
    const [v, iv, tag, body] = a.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => unsealGrant(config, [v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => unsealGrant({ encryptionKey: Buffer.alloc(32, 8) }, a)).toThrow();
  });

  it('signs channel secrets and OAuth states, and refuses altered or expired ones', () => {
    const secret = newChannelSecret(config, T, C);
    expect(secret.length).toBeLessThanOrEqual(128); // Graph's clientState limit
    expect(readChannelSecret(config, secret)).toEqual({ tenantId: T, connectionId: C });
    expect(readChannelSecret(config, secret.replace(C, T))).toBeUndefined();
    expect(readChannelSecret({ sessionSecret: 'another-secret-another-secret-another' }, secret)).toBeUndefined();
    const claims = { t: T, h: 'cal', r: C, p: 'google' as const, n: 'n'.repeat(24), s: 's'.repeat(43), e: 2_000 };
    const state = signState(config, claims);
    expect(verifyState(config, state, 1_000)).toEqual(claims);
    expect(verifyState(config, state, 3_000)).toBeUndefined();
    const [body, sig] = state.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, t: C })).toString('base64url');
    expect(verifyState(config, `${forged}.${sig}`, 1_000)).toBeUndefined();
    expect(verifyState(config, `${body}.${sig}x`, 1_000)).toBeUndefined();
  });
});
