/**
 * The extract benchmark's load generator: one kept-alive HTTP/1.1 connection over mutual TLS
 * that sends one request at a time and reads the answer by its content-length. It does what a
 * lender's client does on the wire and nothing more, so that the load generator, which shares
 * this machine's two cores with the register and its database (in production it runs on the
 * lender's machines), takes as little of them as it can. Node's https client costs about
 * twice as much per request (docs/benchmarks.md); BENCH_CLIENT=node measures with it.
 */
import tls from 'node:tls';
import type { TlsIdentity } from '../src/common/https-client.ts';

export class LoadConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; text: string }) => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly socket: tls.TLSSocket, private readonly host: string) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.answer();
    });
    const fail = (err: Error) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(baseUrl: string, identity: TlsIdentity): Promise<LoadConnection> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: url.hostname, port: Number(url.port), servername: url.hostname,
        ca: identity.ca, ...(identity.cert ? { cert: identity.cert } : {}), ...(identity.key ? { key: identity.key } : {}),
      });
      socket.setNoDelay(true);
      socket.once('secureConnect', () => resolve(new LoadConnection(socket, url.host)));
      socket.once('error', reject);
    });
  }

  post(path: string, body: string): Promise<{ status: number; text: string }> {
    if (this.waiting) throw new Error('one request at a time on a connection');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${this.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Completes the request in flight once its whole answer (head and content-length bytes) is in. */
  private answer(): void {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.waiting.reject(new Error(`an answer without content-length: ${head.split('\r\n')[0]}`));
      this.waiting = undefined;
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffered.length < total) return;
    const status = Number(head.slice(9, 12));
    const text = this.buffered.subarray(end + 4, total).toString('utf8');
    this.buffered = this.buffered.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ status, text });
  }
}
