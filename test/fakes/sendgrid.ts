import http from 'node:http';

export interface SentMail {
  authorization: string | undefined;
  body: {
    personalizations: { to: { email: string }[] }[];
    from: { email: string; name?: string };
    subject: string;
    content: { type: string; value: string }[];
    attachments?: { content: string; filename: string; type: string; disposition: string }[];
    custom_args?: Record<string, string>;
  };
}

/**
 * A stand-in for SendGrid's v3 Mail Send on 127.0.0.1: records every request
 * (as the provider would have received it) and answers what the test says —
 * 202 with an x-message-id by default, or a status, or never (to simulate a
 * provider that accepted the message but whose answer never arrived).
 */
export class FakeSendGrid {
  readonly received: SentMail[] = [];
  /** Answers for the next requests to one recipient, in order; then 202. 'hang' never answers. */
  private readonly scripts = new Map<string, (number | 'hang')[]>();
  private server = http.createServer((req, res) => this.handle(req, res));
  private hanging: http.ServerResponse[] = [];
  url = '';

  answer(recipient: string, ...answers: (number | 'hang')[]): void {
    this.scripts.set(recipient, [...(this.scripts.get(recipient) ?? []), ...answers]);
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw) as SentMail['body'];
      const answer = this.scripts.get(body.personalizations[0]?.to[0]?.email ?? '')?.shift() ?? 202;
      if (answer === 202) this.received.push({ authorization: req.headers.authorization, body });
      if (answer === 'hang') {
        // Accepted by "the provider", but the answer never comes back.
        this.received.push({ authorization: req.headers.authorization, body });
        this.hanging.push(res);
        return;
      }
      if (answer === 202) {
        res.writeHead(202, { 'x-message-id': `msg-${this.received.length}` }).end();
        return;
      }
      res.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: `fake says ${answer}` }] }));
    });
  }
}
