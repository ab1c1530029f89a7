/**
 * A stand-in for Suomi.fi Messages' REST API (POST /v1/token, POST /v1/messages/electronic) on
 * 127.0.0.1, which misbehaves on purpose: the test scripts the answer to each message request
 * (fail with a status, accept but drop the connection before answering, or behave). A message
 * whose externalId it has accepted before is answered 409, as the real service does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Script = 'ok' | 'drop-after-accepting' | { status: number; body?: unknown; retryAfter?: string };

export interface MessageRequest {
  authorization: string | undefined;
  body: { externalId: string; recipient: { id: string }; sender: { serviceId: string }; electronic: { title: string; body: string } & Record<string, unknown> };
  answered: number | 'dropped';
}

export class FakeSuomiFi {
  readonly requests: MessageRequest[] = [];
  /** externalId → the message accepted (once each). */
  readonly accepted = new Map<string, MessageRequest['body']>();
  logins = 0;
  password = 'secret-pw';
  /** The answers to the next message requests, in order; then 'ok'. */
  script: Script[] = [];
  private server!: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/v1/token') {
      const b = JSON.parse(text) as { username: string; password: string };
      this.logins++;
      if (b.password !== this.password) return json(400, { reason: 'Invalid credentials' });
      return json(200, { access_token: `token-${this.logins}`, token_type: 'bearer', expires_in: 3600 });
    }
    if (req.method !== 'POST' || req.url !== '/v1/messages/electronic') return json(404, { reason: 'Not found' });
    const body = JSON.parse(text) as MessageRequest['body'];
    const r: MessageRequest = { authorization: req.headers.authorization, body, answered: 0 };
    this.requests.push(r);
    const step = this.script.shift() ?? 'ok';
    if (typeof step === 'object') {
      r.answered = step.status;
      return json(step.status, step.body ?? { reason: 'Service unavailable' }, step.retryAfter ? { 'retry-after': step.retryAfter } : {});
    }
    if (this.accepted.has(body.externalId)) {
      r.answered = 409;
      return json(409, { reason: 'Message with the given externalId already exists', messageId: 1000 + [...this.accepted.keys()].indexOf(body.externalId) });
    }
    this.accepted.set(body.externalId, body);
    if (step === 'drop-after-accepting') {
      r.answered = 'dropped';
      req.socket.destroy(); // accepted, but the answer never reaches the register
      return;
    }
    r.answered = 200;
    return json(200, { messageId: 1000 + this.accepted.size - 1 });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
