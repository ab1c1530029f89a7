export interface HttpRequest {
    method: 'GET' | 'POST';
    path: string;
    headers: Record<string, string>;
    body?: string;
}
export interface HttpResponse {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}
/** Sends one request and gives the whole answer; rejects on connection errors (error.code: ECONNRESET …). */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;
export interface TlsFiles {
    /** PEM text of the client's private key. */
    key: string;
    /** PEM text of the client certificate. */
    cert: string;
    /** PEM text of the CA(s) the server's certificate is checked against. */
    ca: string;
}
/**
 * The certificate folder that `pcr cert retrieve`, `pcr cert issue` and the demo write:
 * key.pem (the private key), cert.pem (the certificate), ca.pem (the register's CA).
 */
export declare function readCertDir(dir: string): TlsFiles;
export declare function tlsFiles(o: {
    certDir?: string;
    cert?: string | Buffer;
    key?: string | Buffer;
    ca?: string | Buffer;
}): Partial<TlsFiles>;
/**
 * The HTTPS transport: one keep-alive agent holding the client certificate. The register closes
 * idle connections after a few seconds; a request that goes out on such a connection just as it
 * is closed fails with ECONNRESET before the server read anything, and is sent once more on a new
 * connection (Node's `request.reusedSocket` pattern). Every other error goes to the caller, whose
 * retry policy knows whether the operation may be sent again.
 */
export declare function httpsTransport(url: string, tls: Partial<TlsFiles>, opts: {
    timeoutMs: number;
    maxSockets?: number;
    keepAlive?: boolean;
}): {
    send: Transport;
    close: () => void;
};
