/** HTTPS with a client certificate (mutual TLS), on Node's standard library only. */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const pem = (value) => {
    const text = typeof value === 'string' ? value : value.toString('utf8');
    // Not PEM text: a file name (what a developer passing `cert: './certs/cert.pem'` means).
    return text.includes('-----BEGIN') ? text : readFileSync(text, 'utf8');
};
/**
 * The certificate folder that `pcr cert retrieve`, `pcr cert issue` and the demo write:
 * key.pem (the private key), cert.pem (the certificate), ca.pem (the register's CA).
 */
export function readCertDir(dir) {
    return {
        key: readFileSync(join(dir, 'key.pem'), 'utf8'),
        cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
        ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    };
}
export function tlsFiles(o) {
    const fromDir = o.certDir ? readCertDir(o.certDir) : {};
    return {
        ...fromDir,
        ...(o.key !== undefined ? { key: pem(o.key) } : {}),
        ...(o.cert !== undefined ? { cert: pem(o.cert) } : {}),
        ...(o.ca !== undefined ? { ca: pem(o.ca) } : {}),
    };
}
/**
 * The HTTPS transport: one keep-alive agent holding the client certificate. The register closes
 * idle connections after a few seconds; a request that goes out on such a connection just as it
 * is closed fails with ECONNRESET before the server read anything, and is sent once more on a new
 * connection (Node's `request.reusedSocket` pattern). Every other error goes to the caller, whose
 * retry policy knows whether the operation may be sent again.
 */
export function httpsTransport(url, tls, opts) {
    const base = new URL(url);
    const agent = new https.Agent({
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        keepAlive: opts.keepAlive ?? true,
        maxSockets: opts.maxSockets ?? 8,
    });
    const once = (r, mayResend) => new Promise((resolve, reject) => {
        const req = https.request(new URL(r.path, base), {
            method: r.method,
            agent,
            timeout: opts.timeoutMs,
            headers: { accept: 'application/json', ...(r.body !== undefined ? { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(r.body)) } : {}), ...r.headers },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', (err) => {
            if (mayResend && req.reusedSocket && err.code === 'ECONNRESET')
                resolve(once(r, false));
            else
                reject(err);
        });
        req.end(r.body);
    });
    return { send: (r) => once(r, true), close: () => agent.destroy() };
}
