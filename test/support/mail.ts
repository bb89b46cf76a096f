import { FakeSendGrid } from '../fakes/sendgrid.ts';

/**
 * Mail as its recipients get it: SendGrid's real client against the fake on
 * 127.0.0.1. The outbox keeps no private links (a reset, an invitation, an
 * email confirmation), so a test that follows one reads it here, as the
 * recipient would. `env` goes into testDeps' overrides.
 */
export class Mailbox {
  readonly sg = new FakeSendGrid();

  get env(): Record<string, string> {
    return { SENDGRID_API_KEY: 'SG.test-key', SENDGRID_BASE_URL: this.sg.url };
  }

  async start(): Promise<this> {
    await this.sg.start();
    return this;
  }

  stop(): Promise<void> {
    return this.sg.stop();
  }

  /** Messages of a kind to an address, oldest first. */
  to(address: string, kind: string) {
    return this.sg.received.filter((m) => m.body.personalizations[0]?.to[0]?.email === address && m.body.custom_args?.kind === kind);
  }

  /** The path of the newest link to `address` in a message of `kind` whose path starts with `prefix`. */
  lastLinkPath(address: string, kind: string, prefix: string): string {
    const mail = this.to(address, kind).at(-1);
    const text = mail?.body.content.find((c) => c.type === 'text/plain')?.value ?? '';
    const link = [...text.matchAll(/https?:\/\/\S+/g)].map((m) => new URL(m[0])).find((u) => u.pathname.startsWith(prefix));
    if (!link) throw new Error(`no ${prefix} link in a ${kind} message to ${address}`);
    return link.pathname;
  }
}
