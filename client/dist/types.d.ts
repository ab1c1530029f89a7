/**
 * The types a lender's code names: short aliases of the generated request and answer types
 * (generated.ts, checked against the server), and the answers the server's OpenAPI document
 * does not describe (GetLoan, GetCreditRegisterExtract, IncomeFeed, whoami, …), written here
 * after the contract (spec/extract.md, spec/reporting.md) and checked against real answers by
 * test/client/schemas.test.ts.
 */
import type * as G from './generated.ts';
export type TargetEnvironment = G.GetLoanRequest['targetEnvironment'];
export type OrganisationId = G.GetLoanRequest['owner'];
export type LoanNumber = G.GetLoanRequest['loanNumber'];
/** The five batch operations. */
export type BatchOperation = keyof typeof G.BATCH_COLLECTIONS;
/** One report of each batch operation. */
export type LoanReport = G.AddLoansRequest['loans'][number];
export type UpdateLoanReport = G.UpdateLoansRequest['loans'][number];
export type RepaymentReport = G.RepaymentsRequest['repayments'][number];
export type DelayedRepaymentReport = G.DelayedRepaymentsRequest['delayedRepayments'][number];
export type TerminationReport = G.TerminateLoansRequest['loanTerminations'][number];
export interface BatchReports {
    AddLoans: LoanReport;
    UpdateLoans: UpdateLoanReport;
    Repayments: RepaymentReport;
    DelayedRepayments: DelayedRepaymentReport;
    TerminateLoans: TerminationReport;
}
export type BatchAccepted = G.AddLoansResponse;
export type BatchStatusAnswer = G.GetBatchStatusResponse;
/** A batch status that will not change any more. */
export type FinalBatchStatus = 'FinishedSuccess' | 'FinishedPartialSuccess' | 'FinishedFailed';
/** A request without the envelope (targetEnvironment, owner), which the client fills in. */
export type Body<R> = Omit<R, 'targetEnvironment' | 'owner'>;
export type ExtractRequest = G.GetCreditRegisterExtractRequest['request'];
export type ExtractPurpose = ExtractRequest['creditRegisterExtractPurpose'][number];
export type IncomeMonth = G.IncomeFeedRequest['incomeMonths'][number];
export type BanChangesPage = G.GetVoluntaryBanChangesResponse;
export type BanChange = BanChangesPage['changes'][number];
export type Order = G.OrderDataRequest['order'];
export type OrderAnswer = G.OrderDataResponse;
export type DeliveryStatusAnswer = G.GetDataDeliveryResponse;
export type Delivery = DeliveryStatusAnswer['deliveries'][number];
export type CertificateAnswer = G.CertificatesSignResponse;
/** One entry of `errorResponses`, on every refusal and on every rejected report. */
export interface ErrorResponse {
    fieldName?: string;
    errorCode: string;
    errorDescription: string;
}
/** GET /whoami: the calling certificate's organisation, certificate and permissions. */
export interface WhoAmIAnswer {
    organisation: OrganisationId & {
        name: string;
        roles: string[];
        businessId: string;
    };
    certificate: {
        serial: string;
        usage: 'reporting' | 'data-use';
        environment: TargetEnvironment;
        notAfter: string;
    };
    permissions: unknown[];
}
/** GET /error-codes: the register's catalogue. */
export interface ErrorCodesAnswer {
    errorCodes: {
        code: string;
        httpStatus: number | null;
        meaning: string;
        ourDesign: boolean;
    }[];
}
type Amount = number;
interface CurrencySum {
    currencyCode: string;
    sum: Amount;
}
/** One loan as GetLoan shows it: the current value of every data group, and its state. */
export type LoanView = Omit<LoanReport, 'reportReference' | 'reportType'> & {
    loanStatus: 'Active' | 'Ended';
    endDate?: string;
    isTransferredToAnotherLender?: boolean;
    delayedAmounts: {
        delayedInstalment: Amount;
        originalDueDate: string;
    }[];
    isForeclosed: boolean;
    foreclosureDate?: string;
    repaymentsPaidLast?: Record<string, unknown>;
    lastReportTimeUtc: string;
};
export interface GetLoanAnswer {
    statusMessage: string;
    correlationId: string;
    loan: LoanView;
}
/** One loan as an extract shows it: no lender, no loan number. */
export interface ExtractLoan {
    loanType: LoanReport['loanType'];
    contractDate: string;
    borrowersCount: number;
    currencyCode: string;
    consumerCredit: LoanReport['consumerCredit'];
    isLoanWithCollateral: boolean;
    collaterals: NonNullable<LoanReport['collaterals']>;
    interest?: LoanReport['interest'];
    defermentPeriods: NonNullable<LoanReport['defermentPeriods']>;
    paymentPlan?: LoanReport['paymentPlan'];
    lumpSumLoan?: LoanReport['lumpSumLoan'];
    runningAccountLoan?: LoanReport['runningAccountLoan'];
    leasingContract?: LoanReport['leasingContract'];
    repaymentsPaidLast?: Record<string, unknown>;
    delayedAmounts: {
        delayedInstalment: Amount;
        originalDueDate: string;
    }[];
    isForeclosed: boolean;
    foreclosureDate?: string;
    businessInformation?: {
        borrowerBusinessId: string;
    };
}
export interface CreditRegisterExtract {
    extractReference: string;
    creationTimeUtc: string;
    personRequested: {
        idCodeType: 'PersonalIdentityCode';
        idCode: string;
    };
    owner: OrganisationId;
    creditRegisterExtractPurpose: ExtractPurpose[];
    lenderReference?: string;
    deceasedPerson?: {
        dateOfDeath: string;
    };
    voluntaryBanOnCredits?: {
        isInEffect: boolean;
        reason: string;
        startDate: string | null;
        endDate: string | null;
    };
    creditInformationSummary: {
        lendersCount: number;
        loanContractsCount: number;
        guaranteedLoanContractsCount: number;
        repaymentsPaidLastAmount: CurrencySum[];
        sumOfMonthlyLeasingInstalments: CurrencySum[];
    };
    loans: ExtractLoan[];
    guaranteedLoans: ExtractLoan[];
    incomeData: {
        year: number;
        month: number;
        wagesGrossAmount?: Amount;
        wagesNetAmount?: Amount;
        benefitsGrossAmount?: Amount;
        benefitsNetAmount?: Amount;
        accuracyDenied?: true;
    }[];
}
export interface ExtractAnswer {
    statusMessage: string;
    correlationId: string;
    creditRegisterExtract: CreditRegisterExtract;
}
export interface IncomeFeedAnswer {
    statusMessage: string;
    correlationId: string;
    acceptedCount: number;
    rejectedCount: number;
    /** The months refused by a rule, by their index in the request. */
    rejected: {
        index: number;
        errorResponses: ErrorResponse[];
    }[];
}
export interface ResetTestDataAnswer {
    statusMessage: string;
    correlationId: string;
    deleted: Record<string, number>;
}
/** One page of a delivery's content (GetDataDelivery with deliveryId). */
export interface DeliveryPage {
    page: number;
    pageCount: number;
    /** application/x-ndjson, or text/csv for MonthlyAggregates ordered as CSV. */
    contentType: string;
    /** SHA-256 of the whole content (every page concatenated). */
    contentSha256: string;
    text: string;
    /** The NDJSON lines parsed; undefined for CSV. */
    records?: Record<string, unknown>[];
}
export {};
