/**
 * The benchmark's SendGrid: a v3 Mail Send receiver on 127.0.0.1 that
 * accepts every message (202) and records when it arrived, to whom, and
 * which notification it is (the custom_args the app's transport sets).
 * Smaller than test/fakes/sendgrid.ts: it keeps no bodies.
 */
import http from 'node:http';

export interface Accepted {
  notificationId: string;
  kind: string;
  to: string;
  /** Epoch ms when the whole request had arrived. */
  at: number;
}

export class MailSink {
  readonly accepted: Accepted[] = [];
  url = '';
  #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') return void res.writeHead(404).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        personalizations: { to: { email: string }[] }[];
        custom_args?: Record<string, string>;
      };
      const args = body.custom_args ?? {};
      this.accepted.push({ notificationId: args.notification_id ?? '', kind: args.kind ?? '', to: body.personalizations[0]?.to[0]?.email ?? '', at });
      res.writeHead(202, { 'x-message-id': `bench-${this.accepted.length}` }).end();
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
