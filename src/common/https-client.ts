/** A small HTTPS JSON client with client certificates: for `pcr cert retrieve`, `pcr upload`, the tests and benchmarks. */
import https from 'node:https';

export interface TlsIdentity {
  /** CA certificate(s) that the server's certificate is checked against. */
  ca: string;
  cert?: string;
  key?: string;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
  /** Local port of the connection that carried the answer (tells whether a keep-alive connection was reused). */
  localPort: number | undefined;
}

export class HttpsJsonClient {
  readonly agent: https.Agent;
  constructor(
    readonly baseUrl: string,
    identity: TlsIdentity,
    opts: { keepAlive?: boolean; maxSockets?: number } = {},
  ) {
    this.agent = new https.Agent({
      ca: identity.ca,
      ...(identity.cert ? { cert: identity.cert } : {}),
      ...(identity.key ? { key: identity.key } : {}),
      keepAlive: opts.keepAlive ?? true,
      maxSockets: opts.maxSockets ?? 16,
    });
  }

  request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return this.send<T>(method, path, payload, headers, true);
  }

  /**
   * One request. A kept-alive connection the server closed as idle just as the request went out
   * fails with ECONNRESET before the server read anything: such a request is sent once more on
   * a new connection (the pattern of Node's `request.reusedSocket` documentation).
   */
  private send<T>(method: string, path: string, payload: string | undefined, headers: Record<string, string>, mayRetry: boolean): Promise<JsonResponse<T>> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: {
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: keep the text */
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text, localPort: res.socket?.localPort });
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && err.code === 'ECONNRESET') resolve(this.send<T>(method, path, payload, headers, false));
        else reject(err);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  post<T = unknown>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  get<T = unknown>(path: string): Promise<JsonResponse<T>> {
    return this.request<T>('GET', path);
  }

  close(): void {
    this.agent.destroy();
  }
}
