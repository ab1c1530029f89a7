/**
 * RegisterClient: every operation of the register over mutual TLS, with the envelope filled in,
 * retries that are safe for the operation, batches that keep one reference through every retry,
 * and paging helpers. Node's standard library only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegisterApiError, RegisterConnectionError, WaitTimeoutError, retryAfterSeconds } from "./errors.js";
import { BATCH_COLLECTIONS } from "./generated.js";
import { OPERATIONS } from "./operations.js";
import { httpsTransport, tlsFiles } from "./transport.js";
export const DEFAULT_RETRY = { maxAttempts: 5, maxRetryAfterSeconds: 60, baseDelayMs: 500, maxDelayMs: 30_000 };
/** A report already serialized as JSON text (kept byte for byte: exact amounts, a file's own lines). */
export class RawJson {
    text;
    constructor(text) {
        this.text = text;
    }
}
/** Connection errors before anything was sent: safe to retry for every operation. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
/** Connection errors after which the request may or may not have arrived: retried for idempotent operations only. */
const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const FINAL_BATCH = /^Finished/;
const FINAL_DELIVERY = new Set(['Ready', 'Failed', 'Expired']);
function stamp(d = new Date()) {
    return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
/** A fresh batch reference: `Batch_AddLoans_20260115220000_a1b2c3d4`. */
export function newBatchReference(operation) {
    return `Batch_${operation}_${stamp()}_${randomBytes(4).toString('hex')}`;
}
export class RegisterClient {
    opts;
    send;
    closeTransport;
    retry;
    identityPromise;
    constructor(opts) {
        this.opts = opts;
        if (!opts.url)
            throw new TypeError('RegisterClient: url is required');
        this.retry = { ...DEFAULT_RETRY, ...opts.retry };
        if (opts.transport) {
            this.send = opts.transport;
            this.closeTransport = () => { };
        }
        else {
            const t = httpsTransport(opts.url, tlsFiles(opts), { timeoutMs: opts.timeoutMs ?? 100_000, ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}) });
            this.send = t.send;
            this.closeTransport = t.close;
        }
        if (opts.owner && opts.targetEnvironment)
            this.identityPromise = Promise.resolve({ targetEnvironment: opts.targetEnvironment, owner: opts.owner });
    }
    /** Closes the kept-alive connections. */
    close() {
        this.closeTransport();
    }
    /** The owner and targetEnvironment every request carries: from the options, else from the certificate (/whoami, once). */
    async envelope() {
        this.identityPromise ??= this.whoami().then(
        // targetEnvironment first, as in the contract's examples (and in the bodies pcr upload has always sent).
        (w) => ({
            targetEnvironment: this.opts.targetEnvironment ?? w.certificate.environment,
            owner: this.opts.owner ?? { idCodeType: w.organisation.idCodeType, idCode: w.organisation.idCode, ...(w.organisation.countryCode ? { countryCode: w.organisation.countryCode } : {}) },
        }), (err) => {
            this.identityPromise = undefined;
            throw err;
        });
        return this.identityPromise;
    }
    // ---- the transport with retries
    delay(attempt) {
        const d = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        return Math.round(d * (0.8 + Math.random() * 0.4));
    }
    /**
     * Sends one operation, the same bytes on every attempt: again after a 429 or 503 (waiting the
     * Retry-After seconds, up to the cap), after a refused connection (nothing was sent), and, for
     * idempotent operations only, after a broken connection or a 502/504 of a proxy.
     */
    async exchange(operation, payload, headers = {}, policy = this.retry) {
        const info = OPERATIONS[operation];
        for (let attempt = 1;; attempt++) {
            let res;
            try {
                res = await this.send({ method: info.method, path: info.path, headers, ...(payload !== undefined ? { body: payload } : {}) });
            }
            catch (e) {
                const err = e;
                const notSent = NOT_SENT.has(err.code ?? '');
                const retryable = notSent || (info.idempotent && TRANSIENT.has(err.code ?? ''));
                if (!retryable || attempt >= policy.maxAttempts)
                    throw new RegisterConnectionError(operation, err, attempt, !notSent);
                const delayMs = this.delay(attempt);
                this.opts.onRetry?.({ operation, attempt, ...(err.code ? { errorCode: err.code } : {}), delayMs });
                await sleep(delayMs);
                continue;
            }
            const body = parseBody(res);
            if (attempt < policy.maxAttempts) {
                let delayMs;
                if (res.status === 429 || res.status === 503) {
                    const after = retryAfterSeconds(res.headers['retry-after']);
                    if (after === undefined)
                        delayMs = this.delay(attempt);
                    else if (after <= policy.maxRetryAfterSeconds)
                        delayMs = after * 1000;
                }
                else if ((res.status === 502 || res.status === 504) && info.idempotent) {
                    delayMs = this.delay(attempt);
                }
                if (delayMs !== undefined) {
                    const code = body?.errorResponses?.[0]?.errorCode;
                    this.opts.onRetry?.({ operation, attempt, status: res.status, ...(code ? { errorCode: code } : {}), delayMs });
                    await sleep(delayMs);
                    continue;
                }
            }
            return { res, body, attempts: attempt };
        }
    }
    /** Sends an operation and gives its answer; any answer but 200/202 is thrown as RegisterApiError. */
    async call(operation, body, headers = {}, policy) {
        const info = OPERATIONS[operation];
        let payload;
        if (info.method === 'POST') {
            if (typeof body === 'string')
                payload = body;
            else
                payload = JSON.stringify(info.envelope ? { ...(await this.envelope()), ...body } : (body ?? {}));
        }
        const { res, body: parsed, attempts } = await this.exchange(operation, payload, headers, policy);
        if (res.status !== 200 && res.status !== 202)
            throw new RegisterApiError(operation, res.status, parsed, res.headers, attempts);
        return { body: parsed, headers: res.headers, text: res.body.toString('utf8'), attempts };
    }
    // ---- reporting
    /**
     * Sends a batch under ONE reference, whatever the retries: a resend after a lost answer carries
     * the same bytes, and the register answers it 202 as the batch it already holds (nothing is
     * applied twice). A 409 A30 means the reference was used before with other content.
     */
    async submitBatch(operation, reports, opts = {}) {
        const batchReference = opts.batchReference ?? newBatchReference(operation);
        const envelope = JSON.stringify(await this.envelope());
        const items = reports.map((r) => (r instanceof RawJson ? r.text : JSON.stringify(r)));
        const payload = `${envelope.slice(0, -1)},${JSON.stringify(BATCH_COLLECTIONS[operation])}:[${items.join(',')}]}`;
        const { body, attempts } = await this.call(operation, payload, { BatchReference: batchReference });
        return { ...body, attempts };
    }
    /** Polls GetBatchStatus, waiting longer each time, until the batch is FinishedSuccess, FinishedPartialSuccess or FinishedFailed. */
    async waitForBatch(batchReference, opts = {}) {
        return this.poll(() => this.getBatchStatus(batchReference), (s) => FINAL_BATCH.test(s.batchStatus), `batch ${batchReference}`, opts);
    }
    /** submitBatch, then waitForBatch. */
    async submitBatchAndWait(operation, reports, opts = {}) {
        const submitted = await this.submitBatch(operation, reports, opts);
        return this.waitForBatch(submitted.batchReference, opts);
    }
    addLoans(reports, opts) {
        return this.submitBatch('AddLoans', reports, opts);
    }
    updateLoans(reports, opts) {
        return this.submitBatch('UpdateLoans', reports, opts);
    }
    repayments(reports, opts) {
        return this.submitBatch('Repayments', reports, opts);
    }
    delayedRepayments(reports, opts) {
        return this.submitBatch('DelayedRepayments', reports, opts);
    }
    terminateLoans(reports, opts) {
        return this.submitBatch('TerminateLoans', reports, opts);
    }
    /** How a batch went. A reference this owner never sent: RegisterApiError 400 A40 (its body says batchStatus NotFound). */
    async getBatchStatus(batchReference) {
        return (await this.call('GetBatchStatus', { batchReference })).body;
    }
    /** The loan as the register holds it now; a string is a loan number of type Other. No such loan: RegisterApiError 404 D03. */
    async getLoan(loanNumber) {
        const ln = typeof loanNumber === 'string' ? { type: 'Other', number: loanNumber } : loanNumber;
        return (await this.call('GetLoan', { loanNumber: ln })).body;
    }
    /** Test environment only: deletes this lender's own test data. */
    async resetTestData() {
        return (await this.call('ResetTestData', {})).body;
    }
    /** Test environment only: always refused with 503 A90 and Retry-After, to try out your handling (sent once, never retried). */
    async servicebreak() {
        await this.call('Servicebreak', {}, {}, { ...this.retry, maxAttempts: 1 });
        throw new Error('Servicebreak answered without a refusal');
    }
    // ---- extracts and income
    /** A credit register extract. Never resent after a broken connection: each extract is logged, charged and shown to the person. */
    async getCreditRegisterExtract(request) {
        return (await this.call('GetCreditRegisterExtract', { request: { idCodeType: 'PersonalIdentityCode', ...request } })).body;
    }
    /** Monthly income summaries (an income source with the income-feed permission). */
    async incomeFeed(incomeMonths) {
        return (await this.call('IncomeFeed', { incomeMonths })).body;
    }
    // ---- voluntary bans
    /** One page of the ban change feed. */
    async getVoluntaryBanChanges(request = {}) {
        return (await this.call('GetVoluntaryBanChanges', request)).body;
    }
    /**
     * The change feed, page by page, from `cursor` (none: from the start) until the register says
     * no more are ready. Store each page's changes, then its nextCursor, before asking for the next:
     * the loop asks for it only when you come back for it.
     */
    async *banChanges(opts = {}) {
        let cursor = opts.cursor ?? null;
        for (;;) {
            const page = await this.getVoluntaryBanChanges({ cursor, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) });
            yield page;
            cursor = page.nextCursor;
            if (!page.moreAvailable)
                return;
        }
    }
    // ---- authorities
    async orderData(order) {
        return (await this.call('OrderData', { order })).body;
    }
    /** An order and its deliveries (newest first). No such order: RegisterApiError 404 A41. */
    async getDataDelivery(orderId) {
        return (await this.call('GetDataDelivery', { orderId })).body;
    }
    /** Polls GetDataDelivery until the delivery (by default the newest) is Ready, Failed or Expired, and gives it. */
    async waitForDelivery(orderId, opts = {}) {
        const pick = (a) => (opts.deliveryId ? a.deliveries.find((d) => d.deliveryId === opts.deliveryId) : a.deliveries[0]);
        const answer = await this.poll(() => this.getDataDelivery(orderId), (a) => FINAL_DELIVERY.has(pick(a)?.status ?? ''), `order ${orderId}`, opts);
        return pick(answer);
    }
    /** One page of a Ready delivery's content. Not ready: RegisterApiError 409 A42. */
    async getDeliveryPage(orderId, deliveryId, page = 1) {
        const r = await this.call('GetDataDelivery', { orderId, deliveryId, page });
        const contentType = String(r.headers['content-type'] ?? '');
        return {
            page: Number(r.headers['x-page'] ?? page),
            pageCount: Number(r.headers['x-page-count'] ?? 1),
            contentType: contentType.split(';')[0].trim(),
            contentSha256: String(r.headers['x-content-sha256'] ?? ''),
            text: r.text,
            ...(contentType.includes('ndjson') ? { records: r.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) } : {}),
        };
    }
    /**
     * Every page of a delivery, in order. Read from the first page, the content's SHA-256 is
     * checked after the last one: a mismatch throws (the pages are not the content the register
     * produced), after you have seen them, so keep them aside until the loop ends.
     */
    async *deliveryPages(orderId, deliveryId, opts = {}) {
        const from = opts.fromPage ?? 1;
        const hash = createHash('sha256');
        let expected = '';
        for (let page = from, count = page; page <= count; page++) {
            const p = await this.getDeliveryPage(orderId, deliveryId, page);
            count = p.pageCount;
            expected = p.contentSha256;
            hash.update(p.text);
            yield p;
        }
        const actual = hash.digest('hex');
        if (from === 1 && expected && actual !== expected)
            throw new Error(`delivery ${deliveryId}: the pages' SHA-256 ${actual} is not the content's ${expected}`);
    }
    // ---- certificates and the caller
    /** The calling certificate's organisation, certificate and permissions. */
    async whoami() {
        return (await this.call('WhoAmI')).body;
    }
    /** The register's error catalogue. */
    async errorCodes() {
        return (await this.call('ErrorCodes')).body;
    }
    /** The API listener's liveness (no client certificate needed). */
    async health() {
        return (await this.call('Health')).body;
    }
    /** Retrieves a certificate with the transfer codes and your CSR (needs only `ca`). Not resent: the codes are spent. */
    async retrieveCertificate(request) {
        return (await this.call('RetrieveCertificate', request)).body;
    }
    /** Renews the calling certificate with a CSR of a new key, within 60 days before it expires. */
    async renewCertificate(csr) {
        return (await this.call('RenewCertificate', { csr })).body;
    }
    // ----
    async poll(read, done, what, opts) {
        const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
        let interval = opts.intervalMs ?? 250;
        for (;;) {
            const t = await read();
            if (done(t))
                return t;
            if (Date.now() + interval > deadline)
                throw new WaitTimeoutError(`${what}: no final status within ${opts.timeoutMs ?? 600_000} ms`, t);
            await sleep(interval, undefined, opts.signal ? { signal: opts.signal } : {});
            interval = Math.min(opts.maxIntervalMs ?? 10_000, Math.round(interval * 1.5));
        }
    }
}
function parseBody(res) {
    const text = res.body.toString('utf8');
    if (!/json/i.test(String(res.headers['content-type'] ?? '')))
        return text;
    try {
        return text ? JSON.parse(text) : undefined;
    }
    catch {
        return text;
    }
}
