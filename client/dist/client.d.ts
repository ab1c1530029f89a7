import type * as G from './generated.ts';
import { type OperationName } from './operations.ts';
import { type HttpResponse, type Transport } from './transport.ts';
import type { BanChangesPage, BatchAccepted, BatchOperation, BatchReports, BatchStatusAnswer, Body, CertificateAnswer, Delivery, DeliveryPage, DeliveryStatusAnswer, ErrorCodesAnswer, ExtractAnswer, ExtractRequest, GetLoanAnswer, IncomeFeedAnswer, IncomeMonth, LoanNumber, Order, OrderAnswer, OrganisationId, ResetTestDataAnswer, TargetEnvironment, WhoAmIAnswer } from './types.ts';
export interface RetryPolicy {
    /** Sends of one request in all, the first included. */
    maxAttempts: number;
    /** A 429 or 503 asking to wait longer than this is not waited for: the error is thrown at once. */
    maxRetryAfterSeconds: number;
    /** First wait after a connection error (or a 429/503 without Retry-After); doubled each time, with jitter. */
    baseDelayMs: number;
    maxDelayMs: number;
}
export declare const DEFAULT_RETRY: RetryPolicy;
export interface RetryEvent {
    operation: string;
    /** The attempt that failed (1 = the first send). */
    attempt: number;
    status?: number;
    errorCode?: string;
    delayMs: number;
}
export interface RegisterClientOptions {
    /** The register, e.g. https://pcr.example.fi:8443 */
    url: string;
    /** Folder with key.pem, cert.pem and ca.pem (as `pcr cert retrieve` writes it). */
    certDir?: string;
    /** PEM text or a file name; each overrides the certDir's file. */
    cert?: string | Buffer;
    key?: string | Buffer;
    ca?: string | Buffer;
    /** The organisation the requests are sent for; default: the certificate's (asked once from /whoami). */
    owner?: OrganisationId;
    /** Default: the certificate's environment (from /whoami). */
    targetEnvironment?: TargetEnvironment;
    retry?: Partial<RetryPolicy>;
    /** Per request; the register's own clients give up after 100 s. */
    timeoutMs?: number;
    maxSockets?: number;
    /** Told before every retry (for logging). */
    onRetry?: (event: RetryEvent) => void;
    /** Replaces the HTTPS transport (a proxy, a test that loses answers). */
    transport?: Transport;
}
export interface BatchOptions {
    /**
     * The BatchReference header; default `Batch_<operation>_<yyyyMMddHHmmss>_<random>`. Pass one
     * that you store before sending (or derive from the content), so that a program that crashes
     * and runs again resends the same batch under the same reference and nothing is applied twice.
     */
    batchReference?: string;
}
export interface SubmittedBatch extends BatchAccepted {
    /** How many times the batch was sent; above 1, the register answered a resend of the same batch. */
    attempts: number;
}
export interface WaitOptions {
    /** Give up (WaitTimeoutError) after this long; default 10 minutes. */
    timeoutMs?: number;
    /** First wait between polls; grows by half each time up to maxIntervalMs. */
    intervalMs?: number;
    maxIntervalMs?: number;
    signal?: AbortSignal;
}
/** A report already serialized as JSON text (kept byte for byte: exact amounts, a file's own lines). */
export declare class RawJson {
    readonly text: string;
    constructor(text: string);
}
/** A fresh batch reference: `Batch_AddLoans_20260115220000_a1b2c3d4`. */
export declare function newBatchReference(operation: BatchOperation): string;
export declare class RegisterClient {
    private readonly opts;
    private readonly send;
    private readonly closeTransport;
    private readonly retry;
    private identityPromise;
    constructor(opts: RegisterClientOptions);
    /** Closes the kept-alive connections. */
    close(): void;
    /** The owner and targetEnvironment every request carries: from the options, else from the certificate (/whoami, once). */
    envelope(): Promise<{
        targetEnvironment: TargetEnvironment;
        owner: OrganisationId;
    }>;
    private delay;
    /**
     * Sends one operation, the same bytes on every attempt: again after a 429 or 503 (waiting the
     * Retry-After seconds, up to the cap), after a refused connection (nothing was sent), and, for
     * idempotent operations only, after a broken connection or a 502/504 of a proxy.
     */
    private exchange;
    /** Sends an operation and gives its answer; any answer but 200/202 is thrown as RegisterApiError. */
    call<T>(operation: OperationName, body?: object | string, headers?: Record<string, string>, policy?: RetryPolicy): Promise<{
        body: T;
        headers: HttpResponse['headers'];
        text: string;
        attempts: number;
    }>;
    /**
     * Sends a batch under ONE reference, whatever the retries: a resend after a lost answer carries
     * the same bytes, and the register answers it 202 as the batch it already holds (nothing is
     * applied twice). A 409 A30 means the reference was used before with other content.
     */
    submitBatch<Op extends BatchOperation>(operation: Op, reports: readonly (BatchReports[Op] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    /** Polls GetBatchStatus, waiting longer each time, until the batch is FinishedSuccess, FinishedPartialSuccess or FinishedFailed. */
    waitForBatch(batchReference: string, opts?: WaitOptions): Promise<BatchStatusAnswer>;
    /** submitBatch, then waitForBatch. */
    submitBatchAndWait<Op extends BatchOperation>(operation: Op, reports: readonly (BatchReports[Op] | RawJson)[], opts?: BatchOptions & WaitOptions): Promise<BatchStatusAnswer>;
    addLoans(reports: readonly (BatchReports['AddLoans'] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    updateLoans(reports: readonly (BatchReports['UpdateLoans'] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    repayments(reports: readonly (BatchReports['Repayments'] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    delayedRepayments(reports: readonly (BatchReports['DelayedRepayments'] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    terminateLoans(reports: readonly (BatchReports['TerminateLoans'] | RawJson)[], opts?: BatchOptions): Promise<SubmittedBatch>;
    /** How a batch went. A reference this owner never sent: RegisterApiError 400 A40 (its body says batchStatus NotFound). */
    getBatchStatus(batchReference: string): Promise<BatchStatusAnswer>;
    /** The loan as the register holds it now; a string is a loan number of type Other. No such loan: RegisterApiError 404 D03. */
    getLoan(loanNumber: LoanNumber | string): Promise<GetLoanAnswer>;
    /** Test environment only: deletes this lender's own test data. */
    resetTestData(): Promise<ResetTestDataAnswer>;
    /** Test environment only: always refused with 503 A90 and Retry-After, to try out your handling (sent once, never retried). */
    servicebreak(): Promise<never>;
    /** A credit register extract. Never resent after a broken connection: each extract is logged, charged and shown to the person. */
    getCreditRegisterExtract(request: Omit<ExtractRequest, 'idCodeType'> & {
        idCodeType?: 'PersonalIdentityCode';
    }): Promise<ExtractAnswer>;
    /** Monthly income summaries (an income source with the income-feed permission). */
    incomeFeed(incomeMonths: readonly IncomeMonth[]): Promise<IncomeFeedAnswer>;
    /** One page of the ban change feed. */
    getVoluntaryBanChanges(request?: Body<G.GetVoluntaryBanChangesRequest>): Promise<BanChangesPage>;
    /**
     * The change feed, page by page, from `cursor` (none: from the start) until the register says
     * no more are ready. Store each page's changes, then its nextCursor, before asking for the next:
     * the loop asks for it only when you come back for it.
     */
    banChanges(opts?: {
        cursor?: string | null;
        limit?: number;
    }): AsyncGenerator<BanChangesPage, void, undefined>;
    orderData(order: Order): Promise<OrderAnswer>;
    /** An order and its deliveries (newest first). No such order: RegisterApiError 404 A41. */
    getDataDelivery(orderId: string): Promise<DeliveryStatusAnswer>;
    /** Polls GetDataDelivery until the delivery (by default the newest) is Ready, Failed or Expired, and gives it. */
    waitForDelivery(orderId: string, opts?: WaitOptions & {
        deliveryId?: string;
    }): Promise<Delivery>;
    /** One page of a Ready delivery's content. Not ready: RegisterApiError 409 A42. */
    getDeliveryPage(orderId: string, deliveryId: string, page?: number): Promise<DeliveryPage>;
    /**
     * Every page of a delivery, in order. Read from the first page, the content's SHA-256 is
     * checked after the last one: a mismatch throws (the pages are not the content the register
     * produced), after you have seen them, so keep them aside until the loop ends.
     */
    deliveryPages(orderId: string, deliveryId: string, opts?: {
        fromPage?: number;
    }): AsyncGenerator<DeliveryPage, void, undefined>;
    /** The calling certificate's organisation, certificate and permissions. */
    whoami(): Promise<WhoAmIAnswer>;
    /** The register's error catalogue. */
    errorCodes(): Promise<ErrorCodesAnswer>;
    /** The API listener's liveness (no client certificate needed). */
    health(): Promise<G.HealthResponse>;
    /** Retrieves a certificate with the transfer codes and your CSR (needs only `ca`). Not resent: the codes are spent. */
    retrieveCertificate(request: G.CertificatesSignRequest): Promise<CertificateAnswer>;
    /** Renews the calling certificate with a CSR of a new key, within 60 days before it expires. */
    renewCertificate(csr: string): Promise<G.CertificatesRenewResponse>;
    private poll;
}
