import { hash, verify } from '@node-rs/argon2';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

/**
 * The most common passwords of public breach corpora that are long enough to
 * pass the length rule. Not exhaustive: it stops the passwords attackers try
 * first.
 */
const COMMON = new Set([
  '1234567890', '0123456789', '12345678910', '1q2w3e4r5t', 'qwertyuiop', 'qwerty1234', 'qwerty12345', '1qaz2wsx3edc',
  'password1', 'password12', 'password123', 'password1234', 'passw0rd123', 'p@ssw0rd123', 'iloveyou12', 'iloveyou123',
  'letmein123', 'welcome123', 'welcome1234', 'admin12345', 'administrator', 'abc1234567', 'abcdefghij', 'aaaaaaaaaa',
  'asdfghjkl1', 'zxcvbnm123', 'football123', 'baseball123', 'princess123', 'sunshine123', 'superman123', 'monkey12345',
  'dragon12345', 'master12345', 'trustno1234', 'changeme123', 'qwertyuiop1', 'q1w2e3r4t5', '987654321', '9876543210',
  '1111111111', '0000000000', '1234512345', '5555555555', 'passwordpassword', 'bookings123', 'slotwise123', 'slotwise2026',
]);

export function passwordProblem(password: string, context: string[] = []): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.)\1+$/.test(password)) return 'This password is too common. Choose another.';
  const words = context.flatMap((c) => c.toLowerCase().split(/[^a-z0-9]+/)).filter((w) => w.length >= 4);
  if (words.some((w) => lower.includes(w))) return 'Do not use your email, business name or subdomain in the password.';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// A real hash, verified when the account does not exist, so that a wrong
// email takes as long as a wrong password.
const DUMMY_HASH = hash('slotwise-dummy-password-for-timing');

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (!passwordHash) {
    await verify(await DUMMY_HASH, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
