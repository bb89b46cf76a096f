import { z } from 'zod';
import { passwordProblem } from './passwords.ts';
import { Email } from '../tenancy/commands.ts';

export const Login = z.object({
  email: Email,
  password: z.string().min(1, 'Enter your password.').max(200),
  next: z.string().optional(),
});

export const ForgotPassword = z.object({ email: Email });

export const ResetPassword = z
  .object({ password: z.string(), confirm: z.string() })
  .superRefine((v, ctx) => {
    const problem = passwordProblem(v.password);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
    else if (v.password !== v.confirm) ctx.addIssue({ code: 'custom', path: ['confirm'], message: 'The two passwords differ.' });
  });

/** Only same-site paths: `next` must never send a user to another host. */
export function safeNextPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\x00-\x1f\x7f]{0,2000}$/.test(next) ? next : '/admin';
}
