/**
 * Every operation of the register that the client calls: its route, the client method, and
 * whether sending it twice is harmless (which decides retries after a connection error).
 * test/client/schemas.test.ts checks that these routes are exactly the server's.
 */
export interface OperationInfo {
    method: 'GET' | 'POST';
    path: string;
    /** The RegisterClient method that performs it. */
    clientMethod: string;
    /**
     * Sending it again has no further effect: reads, the batch operations (the same reference and
     * body are the same batch), the income feed (a month replaces itself). Not idempotent: an
     * extract (each one is logged, charged and shown to the person), an order, a certificate.
     */
    idempotent: boolean;
    /** Carries targetEnvironment and owner (filled in by the client). */
    envelope: boolean;
    /** Needs no client certificate. */
    anonymous?: boolean;
}
export declare const OPERATIONS: {
    readonly AddLoans: OperationInfo;
    readonly UpdateLoans: OperationInfo;
    readonly Repayments: OperationInfo;
    readonly DelayedRepayments: OperationInfo;
    readonly TerminateLoans: OperationInfo;
    readonly GetBatchStatus: {
        readonly method: "POST";
        readonly path: "/GetBatchStatus";
        readonly clientMethod: "getBatchStatus";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly GetLoan: {
        readonly method: "POST";
        readonly path: "/GetLoan";
        readonly clientMethod: "getLoan";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly ResetTestData: {
        readonly method: "POST";
        readonly path: "/ResetTestData";
        readonly clientMethod: "resetTestData";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly Servicebreak: {
        readonly method: "POST";
        readonly path: "/Servicebreak";
        readonly clientMethod: "servicebreak";
        readonly idempotent: true;
        readonly envelope: false;
    };
    readonly GetCreditRegisterExtract: {
        readonly method: "POST";
        readonly path: "/GetCreditRegisterExtract";
        readonly clientMethod: "getCreditRegisterExtract";
        readonly idempotent: false;
        readonly envelope: true;
    };
    readonly IncomeFeed: {
        readonly method: "POST";
        readonly path: "/IncomeFeed";
        readonly clientMethod: "incomeFeed";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly GetVoluntaryBanChanges: {
        readonly method: "POST";
        readonly path: "/GetVoluntaryBanChanges";
        readonly clientMethod: "getVoluntaryBanChanges";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly OrderData: {
        readonly method: "POST";
        readonly path: "/OrderData";
        readonly clientMethod: "orderData";
        readonly idempotent: false;
        readonly envelope: true;
    };
    readonly GetDataDelivery: {
        readonly method: "POST";
        readonly path: "/GetDataDelivery";
        readonly clientMethod: "getDataDelivery";
        readonly idempotent: true;
        readonly envelope: true;
    };
    readonly WhoAmI: {
        readonly method: "GET";
        readonly path: "/whoami";
        readonly clientMethod: "whoami";
        readonly idempotent: true;
        readonly envelope: false;
    };
    readonly ErrorCodes: {
        readonly method: "GET";
        readonly path: "/error-codes";
        readonly clientMethod: "errorCodes";
        readonly idempotent: true;
        readonly envelope: false;
        readonly anonymous: true;
    };
    readonly Health: {
        readonly method: "GET";
        readonly path: "/health";
        readonly clientMethod: "health";
        readonly idempotent: true;
        readonly envelope: false;
        readonly anonymous: true;
    };
    readonly RetrieveCertificate: {
        readonly method: "POST";
        readonly path: "/certificates/sign";
        readonly clientMethod: "retrieveCertificate";
        readonly idempotent: false;
        readonly envelope: false;
        readonly anonymous: true;
    };
    readonly RenewCertificate: {
        readonly method: "POST";
        readonly path: "/certificates/renew";
        readonly clientMethod: "renewCertificate";
        readonly idempotent: false;
        readonly envelope: false;
    };
};
export type OperationName = keyof typeof OPERATIONS;
