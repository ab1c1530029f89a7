/** Every route the register documents, as `METHOD /path`. */
export declare const SERVER_ROUTES: readonly ["POST /AddLoans", "POST /certificates/renew", "POST /certificates/sign", "POST /DelayedRepayments", "GET /error-codes", "POST /GetBatchStatus", "POST /GetCreditRegisterExtract", "POST /GetDataDelivery", "POST /GetLoan", "POST /GetVoluntaryBanChanges", "GET /health", "POST /IncomeFeed", "POST /OrderData", "POST /Repayments", "POST /ResetTestData", "POST /Servicebreak", "POST /TerminateLoans", "POST /UpdateLoans", "GET /whoami"];
/** The batch operations and the property that carries their reports. */
export declare const BATCH_COLLECTIONS: {
    readonly AddLoans: "loans";
    readonly DelayedRepayments: "delayedRepayments";
    readonly Repayments: "repayments";
    readonly TerminateLoans: "loanTerminations";
    readonly UpdateLoans: "loans";
};
/** The form of the BatchReference header. */
export declare const BATCH_REFERENCE_PATTERN = "^[A-Za-z0-9\u00E5\u00E4\u00F6\u00C5\u00C4\u00D6 /\\\\|(){}\\[\\]%'_?!=,*+.:;&@$#-]{1,100}$";
/** POST /AddLoans: the request body. AddLoans: a batch of reports (loans) Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus. */
export type AddLoansRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    loans: Array<{
        /** The lender's id for this report, 1–100 characters; unique within the batch (D20) */
        reportReference: string;
        /** UpdateLoans only; absent or Unknown means NewReport */
        reportType?: "NewReport" | "ErrorCorrection" | "Cancellation" | "Unknown";
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
        /** Not in the future (D12) Date, yyyy-MM-dd. */
        contractDate: string;
        /** ISO 4217; required in AddLoans (D16, D24) */
        currencyCode?: string;
        isPeerToPeerLoanBroker?: boolean;
        /** At most 200 characters (D25) */
        lenderMarketingName?: string;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        oneTimeServiceFees?: number;
        isTransferredFromAnotherLender?: boolean;
        /** All debtors, including any not reported; ≥ the number of borrowers (D05) */
        borrowersCount?: number;
        borrowers: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
            /** Stage 2: the borrower's Business ID when the loan is for the borrower's business (D19) */
            businessId?: string;
        }>;
        /** Natural persons who gave a guarantee or third-party pledge (our design) */
        guarantors?: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
        }>;
        consumerCredit: {
            loanConsumerProtectionAct: "ConsumerCredit" | "ResidentialPropertyConsumerCredit" | "OtherThanConsumerCredit" | "Unknown";
            isGoodsOrServicesRelatedCredit?: boolean;
        };
        /** Required except for GuaranteeReceivable (D24) */
        interest?: {
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            totalInterestRatePct?: number;
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            marginPct?: number;
            interestType?: "Euribor" | "BankReferenceRate" | "OtherVariableReferenceRate" | "FixedInterest" | "InterestFree";
            /** Months; 0 for fixed or free */
            interestDeterminationPeriod?: number;
        };
        /** APR at the time of the contract, percentage Exact number: at most two decimals for amounts, four for percentages. */
        annualPercentageRate?: number;
        isLoanWithCollateral?: boolean;
        collaterals?: Array<{
            collateralType: "ApartmentOrRealEstate" | "OtherImmovableProperty" | "InstalmentSaleItem" | "OtherMoveableProperty" | "PersonalGuarantee" | "GovernmentGuarantee" | "OtherGuarantee" | "OtherCollateral";
        }>;
        defermentPeriods?: Array<{
            /** Date, yyyy-MM-dd. */
            startDate: string;
            /** Date, yyyy-MM-dd. */
            endDate: string;
        }>;
        paymentPlan?: {
            isInDebtArrangement?: boolean;
            isInBusinessRestructuringProgram?: boolean;
        };
        lumpSumLoan?: {
            /** Granted amount Exact number: at most two decimals for amounts, four for percentages. */
            amountIssued?: number;
            /** Drawn so far; at most amountIssued (D02) Exact number: at most two decimals for amounts, four for percentages. */
            amountPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end */
            amortizationFrequency?: number;
            repaymentMethod?: "FixedSizeAmortizations" | "FixedSizePayments" | "Annuities" | "Balloon" | "Bullet" | "Other";
            /** Date, yyyy-MM-dd. */
            plannedFinalDueDate?: string;
            purposeOfUse?: "HomeLoan" | "HomeLoanForFirstHome" | "HomeLoanForLeisureHouse" | "HomeLoanForInvestment" | "StudentLoan" | "LoanForVehicleOrCraft" | "OtherConsumerCredit" | "GuaranteeReceivable" | "LoanForBusinessActivities" | "OtherLoan";
        };
        runningAccountLoan?: {
            /** May be 0 Exact number: at most two decimals for amounts, four for percentages. */
            creditLimit?: number;
            /** Amount drawn Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Value date of the balance Date, yyyy-MM-dd. */
            balanceDate?: string;
        };
        leasingContract?: {
            /** Date, yyyy-MM-dd. */
            contractPeriodStartDate?: string;
            /** Date, yyyy-MM-dd. */
            contractPeriodEndDate?: string;
            /** Greater than zero (D10) Exact number: at most two decimals for amounts, four for percentages. */
            monthlyInstalment?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            transactionPrice?: number;
        };
    }>;
};
/** POST /AddLoans: the 202 answer. */
export type AddLoansResponse = {
    batchReference: string;
    batchStatus: "Received" | "Processed" | "FinishedSuccess" | "FinishedPartialSuccess" | "FinishedFailed";
};
/** POST /certificates/renew: the request body. Renew the calling certificate (mutual TLS), no earlier than 60 days before it expires */
export type CertificatesRenewRequest = {
    /** PKCS#10 certificate signing request for the new key, PEM Schema: length 1–20000. */
    csr: string;
};
/** POST /certificates/renew: the 200 answer. */
export type CertificatesRenewResponse = {
    /** The new client certificate, PEM */
    certificate: string;
    /** The register's CA certificate(s), PEM */
    caChain: string[];
    serial: string;
    /** Date-time, ISO 8601. */
    notAfter: string;
};
/** POST /certificates/sign: the request body. Retrieve a certificate with the transfer codes and a CSR (no client certificate needed) */
export type CertificatesSignRequest = {
    /** Schema: length 1–100. */
    transferId: string;
    /** Schema: length 1–200. */
    transferPassword: string;
    /** PKCS#10 certificate signing request, PEM Schema: length 1–20000. */
    csr: string;
};
/** POST /certificates/sign: the 200 answer. */
export type CertificatesSignResponse = {
    /** The new client certificate, PEM */
    certificate: string;
    /** The register's CA certificate(s), PEM */
    caChain: string[];
    serial: string;
    /** Date-time, ISO 8601. */
    notAfter: string;
};
/** POST /DelayedRepayments: the request body. DelayedRepayments: a batch of reports (delayedRepayments) Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus. */
export type DelayedRepaymentsRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    delayedRepayments: Array<{
        reportReference: string;
        reportType?: "NewReport" | "ErrorCorrection" | "Cancellation" | "Unknown";
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        /** true: the listed instalments are overdue; false: every delay is paid, clear them */
        isDelay: boolean;
        delayedAmounts?: Array<{
            /** > 0 Exact number: at most two decimals for amounts, four for percentages. */
            delayedInstalment: number;
            /** Date, yyyy-MM-dd. */
            originalDueDate: string;
        }>;
        isForeclosed?: boolean;
        /** Date, yyyy-MM-dd. */
        foreclosureDate?: string;
    }>;
};
/** POST /DelayedRepayments: the 202 answer. */
export type DelayedRepaymentsResponse = {
    batchReference: string;
    batchStatus: "Received" | "Processed" | "FinishedSuccess" | "FinishedPartialSuccess" | "FinishedFailed";
};
/** GET /error-codes: the 200 answer. */
export type ErrorCodesResponse = {
    errorCodes: Array<{
        code: "A10" | "A11" | "A12" | "A13" | "A14" | "A15" | "A16" | "A20" | "A21" | "A22" | "A23" | "A24" | "A25" | "A26" | "A30" | "A40" | "A41" | "A42" | "A50" | "A90" | "A99" | "D01" | "D02" | "D03" | "D04" | "D05" | "D06" | "D07" | "D08" | "D09" | "D10" | "D11" | "D12" | "D13" | "D14" | "D15" | "D16" | "D17" | "D18" | "D19" | "D20" | "D21" | "D22" | "D23" | "D24" | "D25" | "D26" | "D27";
        /** The status of a refused request; null: a rule code, reported per report in GetBatchStatus (or per row) */
        httpStatus: number | null;
        meaning: string;
        /** This project's addition to the published scheme */
        ourDesign: boolean;
    }>;
};
/** POST /GetBatchStatus: the request body. How a batch went */
export type GetBatchStatusRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    batchReference: string;
};
/** POST /GetBatchStatus: the 200 answer. */
export type GetBatchStatusResponse = {
    batchReference: string;
    /** Received, Processed, FinishedSuccess, FinishedPartialSuccess, FinishedFailed (NotFound with A40) */
    batchStatus: string;
    receivedTimeUtc?: string;
    reportCount?: number;
    acceptedCount?: number;
    rejectedCount?: number;
    rejectedReports?: Array<{
        reportReference: string;
        errorResponses: Array<{
            fieldName?: string;
            errorCode: string;
            errorDescription: string;
        }>;
    }>;
    errorResponses?: Array<{
        fieldName?: string;
        errorCode: string;
        errorDescription: string;
    }>;
};
/** POST /GetCreditRegisterExtract: the request body. A credit register extract on a person: every active loan and guarantee from every lender, a summary, twelve months of income, any voluntary ban Every extract is logged with exactly what was disclosed, charged to the requesting organisation and shown to the person. */
export type GetCreditRegisterExtractRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    request: {
        idCodeType: "PersonalIdentityCode";
        /** The person the extract is about (D04 when not a valid code of this environment) */
        idCode: string;
        /** One or more purposes; each needs the permission for its class (consumer / non-consumer), else A22 Schema: at least 1 item(s). */
        creditRegisterExtractPurpose: Array<"NewConsumerCredit" | "IncreaseOfConsumerCreditPrincipalOrCreditLimit" | "ChangesToTermsOfConsumerCredit" | "GuaranteeOrThirdPartyPledgeForConsumerCredit" | "NewLoan" | "IncreaseOfLoanPrincipalOrCreditLimit" | "ChangesToTerms" | "GuaranteeOrThirdPartyPledge">;
        /** The lender's own case id, kept in the log (our design) Schema: length 0–100. */
        lenderReference?: string;
    };
};
/** POST /GetCreditRegisterExtract: the 200 answer. */
export type GetCreditRegisterExtractResponse = {
    /** The request succeeded */
    statusMessage: string;
    /** The id of this request (also the X-Correlation-Id header); quote it when asking about it */
    correlationId: string;
    creditRegisterExtract: {
        extractReference: string;
        /** Date-time, ISO 8601. */
        creationTimeUtc: string;
        personRequested: {
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
        };
        /** An organisation: its Business ID, or a foreign business ID with its country code */
        owner: {
            idCodeType: "BusinessId" | "ForeignBusinessId";
            /** Schema: length 1–30. */
            idCode: string;
            /** Schema: pattern ^[A-Za-z]{2}$. */
            countryCode?: string;
        };
        creditRegisterExtractPurpose: Array<"NewConsumerCredit" | "IncreaseOfConsumerCreditPrincipalOrCreditLimit" | "ChangesToTermsOfConsumerCredit" | "GuaranteeOrThirdPartyPledgeForConsumerCredit" | "NewLoan" | "IncreaseOfLoanPrincipalOrCreditLimit" | "ChangesToTerms" | "GuaranteeOrThirdPartyPledge">;
        lenderReference?: string;
        deceasedPerson?: {
            /** Date, yyyy-MM-dd. */
            dateOfDeath: string;
        };
        voluntaryBanOnCredits?: {
            isInEffect: boolean;
            reason: string;
            /** Date, yyyy-MM-dd. */
            startDate: string;
            endDate: string | null;
        };
        creditInformationSummary: {
            lendersCount: number;
            loanContractsCount: number;
            guaranteedLoanContractsCount: number;
            repaymentsPaidLastAmount: Array<{
                currencyCode: string;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                sum: number;
            }>;
            sumOfMonthlyLeasingInstalments: Array<{
                currencyCode: string;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                sum: number;
            }>;
        };
        loans: Array<{
            loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
            /** Date, yyyy-MM-dd. */
            contractDate: string;
            borrowersCount: number;
            currencyCode: string;
            consumerCredit: {
                loanConsumerProtectionAct: "ConsumerCredit" | "ResidentialPropertyConsumerCredit" | "OtherThanConsumerCredit" | "Unknown";
                isGoodsOrServicesRelatedCredit?: boolean;
            };
            isLoanWithCollateral: boolean;
            collaterals: Array<{
                collateralType: string;
            }>;
            /** Required except for GuaranteeReceivable (D24) */
            interest?: {
                /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
                totalInterestRatePct?: number;
                /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
                marginPct?: number;
                interestType?: "Euribor" | "BankReferenceRate" | "OtherVariableReferenceRate" | "FixedInterest" | "InterestFree";
                /** Months; 0 for fixed or free */
                interestDeterminationPeriod?: number;
            };
            /** Current and future ones only */
            defermentPeriods: Array<{
                /** Date, yyyy-MM-dd. */
                startDate: string;
                /** Date, yyyy-MM-dd. */
                endDate: string;
            }>;
            paymentPlan?: {
                isInDebtArrangement?: boolean;
                isInBusinessRestructuringProgram?: boolean;
            };
            lumpSumLoan?: {
                /** Granted amount Exact number: at most two decimals for amounts, four for percentages. */
                amountIssued?: number;
                /** Drawn so far; at most amountIssued (D02) Exact number: at most two decimals for amounts, four for percentages. */
                amountPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                balance?: number;
                /** Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end */
                amortizationFrequency?: number;
                repaymentMethod?: "FixedSizeAmortizations" | "FixedSizePayments" | "Annuities" | "Balloon" | "Bullet" | "Other";
                /** Date, yyyy-MM-dd. */
                plannedFinalDueDate?: string;
                purposeOfUse?: "HomeLoan" | "HomeLoanForFirstHome" | "HomeLoanForLeisureHouse" | "HomeLoanForInvestment" | "StudentLoan" | "LoanForVehicleOrCraft" | "OtherConsumerCredit" | "GuaranteeReceivable" | "LoanForBusinessActivities" | "OtherLoan";
            };
            runningAccountLoan?: {
                /** May be 0 Exact number: at most two decimals for amounts, four for percentages. */
                creditLimit?: number;
                /** Amount drawn Exact number: at most two decimals for amounts, four for percentages. */
                balance?: number;
                /** Value date of the balance Date, yyyy-MM-dd. */
                balanceDate?: string;
            };
            leasingContract?: {
                /** Date, yyyy-MM-dd. */
                contractPeriodStartDate?: string;
                /** Date, yyyy-MM-dd. */
                contractPeriodEndDate?: string;
                /** Greater than zero (D10) Exact number: at most two decimals for amounts, four for percentages. */
                monthlyInstalment?: number;
            };
            /** The latest repayment reported */
            repaymentsPaidLast?: {
                /** Date, yyyy-MM-dd. */
                paymentDate: string;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                amortizationPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                interestPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                otherExpenses?: number;
                /** Leasing Exact number: at most two decimals for amounts, four for percentages. */
                amountPaid?: number;
            };
            delayedAmounts: Array<{
                /** Exact number: at most two decimals for amounts, four for percentages. */
                delayedInstalment: number;
                /** Date, yyyy-MM-dd. */
                originalDueDate: string;
            }>;
            isForeclosed: boolean;
            /** Date, yyyy-MM-dd. */
            foreclosureDate?: string;
            /** The borrower's business, where the loan is for it */
            businessInformation?: {
                borrowerBusinessId: string;
            };
        }>;
        guaranteedLoans: Array<{
            loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
            /** Date, yyyy-MM-dd. */
            contractDate: string;
            borrowersCount: number;
            currencyCode: string;
            consumerCredit: {
                loanConsumerProtectionAct: "ConsumerCredit" | "ResidentialPropertyConsumerCredit" | "OtherThanConsumerCredit" | "Unknown";
                isGoodsOrServicesRelatedCredit?: boolean;
            };
            isLoanWithCollateral: boolean;
            collaterals: Array<{
                collateralType: string;
            }>;
            /** Required except for GuaranteeReceivable (D24) */
            interest?: {
                /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
                totalInterestRatePct?: number;
                /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
                marginPct?: number;
                interestType?: "Euribor" | "BankReferenceRate" | "OtherVariableReferenceRate" | "FixedInterest" | "InterestFree";
                /** Months; 0 for fixed or free */
                interestDeterminationPeriod?: number;
            };
            /** Current and future ones only */
            defermentPeriods: Array<{
                /** Date, yyyy-MM-dd. */
                startDate: string;
                /** Date, yyyy-MM-dd. */
                endDate: string;
            }>;
            paymentPlan?: {
                isInDebtArrangement?: boolean;
                isInBusinessRestructuringProgram?: boolean;
            };
            lumpSumLoan?: {
                /** Granted amount Exact number: at most two decimals for amounts, four for percentages. */
                amountIssued?: number;
                /** Drawn so far; at most amountIssued (D02) Exact number: at most two decimals for amounts, four for percentages. */
                amountPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                balance?: number;
                /** Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end */
                amortizationFrequency?: number;
                repaymentMethod?: "FixedSizeAmortizations" | "FixedSizePayments" | "Annuities" | "Balloon" | "Bullet" | "Other";
                /** Date, yyyy-MM-dd. */
                plannedFinalDueDate?: string;
                purposeOfUse?: "HomeLoan" | "HomeLoanForFirstHome" | "HomeLoanForLeisureHouse" | "HomeLoanForInvestment" | "StudentLoan" | "LoanForVehicleOrCraft" | "OtherConsumerCredit" | "GuaranteeReceivable" | "LoanForBusinessActivities" | "OtherLoan";
            };
            runningAccountLoan?: {
                /** May be 0 Exact number: at most two decimals for amounts, four for percentages. */
                creditLimit?: number;
                /** Amount drawn Exact number: at most two decimals for amounts, four for percentages. */
                balance?: number;
                /** Value date of the balance Date, yyyy-MM-dd. */
                balanceDate?: string;
            };
            leasingContract?: {
                /** Date, yyyy-MM-dd. */
                contractPeriodStartDate?: string;
                /** Date, yyyy-MM-dd. */
                contractPeriodEndDate?: string;
                /** Greater than zero (D10) Exact number: at most two decimals for amounts, four for percentages. */
                monthlyInstalment?: number;
            };
            /** The latest repayment reported */
            repaymentsPaidLast?: {
                /** Date, yyyy-MM-dd. */
                paymentDate: string;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                amortizationPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                interestPaid?: number;
                /** Exact number: at most two decimals for amounts, four for percentages. */
                otherExpenses?: number;
                /** Leasing Exact number: at most two decimals for amounts, four for percentages. */
                amountPaid?: number;
            };
            delayedAmounts: Array<{
                /** Exact number: at most two decimals for amounts, four for percentages. */
                delayedInstalment: number;
                /** Date, yyyy-MM-dd. */
                originalDueDate: string;
            }>;
            isForeclosed: boolean;
            /** Date, yyyy-MM-dd. */
            foreclosureDate?: string;
            /** The borrower's business, where the loan is for it */
            businessInformation?: {
                borrowerBusinessId: string;
            };
        }>;
        /** The twelve full calendar months before this one, oldest first; months not reported are absent */
        incomeData: Array<{
            year: number;
            month: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            wagesGrossAmount: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            wagesNetAmount: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            benefitsGrossAmount: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            benefitsNetAmount: number;
            /** The person has disputed this month with the income source */
            accuracyDenied?: true;
        }>;
    };
};
/** POST /GetDataDelivery: the request body. An order's deliveries and their status; with deliveryId (and page), a page of the content as NDJSON Without deliveryId: JSON, the order and its deliveries. With deliveryId: application/x-ndjson (MonthlyAggregates ordered as CSV: text/csv, its header the first line), page `page` (default 1) of at most 10000 lines (a LoanStockSnapshot's pages follow ranges of 10000 loan ids, so they often hold fewer), with X-Page, X-Page-Count and X-Content-Sha256; a delivery not Ready is 409 A42. */
export type GetDataDeliveryRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    /** Schema: pattern ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$. */
    orderId: string;
    /** Schema: pattern ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$. */
    deliveryId?: string;
    /** With deliveryId: the page of the content (from 1; at most 10000 lines a page) Schema: 1–1000000. */
    page?: number;
};
/** POST /GetDataDelivery: the 200 answer. */
export type GetDataDeliveryResponse = {
    statusMessage: string;
    correlationId: string;
    order: {
        orderId: string;
        type: string;
        recurrence: string;
        state: string;
        legalBasis: string | null;
        caseReference: string | null;
        /** Date-time, ISO 8601. */
        placedAt: string;
    };
    /** Newest first */
    deliveries: Array<{
        deliveryId: string;
        /** Date, yyyy-MM-dd. */
        periodStart: string;
        /** Date, yyyy-MM-dd. */
        periodEnd: string;
        status: "Pending" | "InProgress" | "Ready" | "Failed" | "Expired";
        /** Date-time, ISO 8601. */
        createdAt: string;
        readyAt: string | null;
        /** Ready deliveries are kept 90 days, then Expired (the content is deleted) */
        expiresAt: string | null;
        rowCount: number | null;
        pageCount: number | null;
        /** SHA-256 of the whole content: every page concatenated */
        contentSha256: string | null;
    }>;
};
/** POST /GetLoan: the request body. The loan as the register holds it now A loan of another lender, or no such loan: 404 with D03 (never a hint that another lender has it). */
export type GetLoanRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    /** The lender's unique id of the loan; the key of the loan together with the lender */
    loanNumber: {
        type: "Iban" | "Bban" | "Other";
        /** 1–100 characters (D25) */
        number: string;
    };
};
/** POST /GetLoan: the 200 answer. */
export type GetLoanResponse = {
    /** The request succeeded */
    statusMessage: string;
    /** The id of this request (also the X-Correlation-Id header); quote it when asking about it */
    correlationId: string;
    loan: {
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
        /** Date, yyyy-MM-dd. */
        contractDate: string;
        /** ISO 4217 */
        currencyCode: string;
        isPeerToPeerLoanBroker?: boolean;
        /** At most 200 characters (D25) */
        lenderMarketingName?: string;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        oneTimeServiceFees?: number;
        isTransferredFromAnotherLender?: boolean;
        /** All debtors, including any not reported; ≥ the number of borrowers (D05) */
        borrowersCount?: number;
        borrowers: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
            /** Stage 2: the borrower's Business ID when the loan is for the borrower's business (D19) */
            businessId?: string;
        }>;
        /** Natural persons who gave a guarantee or third-party pledge (our design) */
        guarantors?: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
        }>;
        consumerCredit: {
            loanConsumerProtectionAct: "ConsumerCredit" | "ResidentialPropertyConsumerCredit" | "OtherThanConsumerCredit" | "Unknown";
            isGoodsOrServicesRelatedCredit?: boolean;
        };
        /** Required except for GuaranteeReceivable (D24) */
        interest?: {
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            totalInterestRatePct?: number;
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            marginPct?: number;
            interestType?: "Euribor" | "BankReferenceRate" | "OtherVariableReferenceRate" | "FixedInterest" | "InterestFree";
            /** Months; 0 for fixed or free */
            interestDeterminationPeriod?: number;
        };
        /** APR at the time of the contract, percentage Exact number: at most two decimals for amounts, four for percentages. */
        annualPercentageRate?: number;
        isLoanWithCollateral?: boolean;
        collaterals?: Array<{
            collateralType: "ApartmentOrRealEstate" | "OtherImmovableProperty" | "InstalmentSaleItem" | "OtherMoveableProperty" | "PersonalGuarantee" | "GovernmentGuarantee" | "OtherGuarantee" | "OtherCollateral";
        }>;
        defermentPeriods?: Array<{
            /** Date, yyyy-MM-dd. */
            startDate: string;
            /** Date, yyyy-MM-dd. */
            endDate: string;
        }>;
        paymentPlan?: {
            isInDebtArrangement?: boolean;
            isInBusinessRestructuringProgram?: boolean;
        };
        lumpSumLoan?: {
            /** Granted amount Exact number: at most two decimals for amounts, four for percentages. */
            amountIssued?: number;
            /** Drawn so far; at most amountIssued (D02) Exact number: at most two decimals for amounts, four for percentages. */
            amountPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end */
            amortizationFrequency?: number;
            repaymentMethod?: "FixedSizeAmortizations" | "FixedSizePayments" | "Annuities" | "Balloon" | "Bullet" | "Other";
            /** Date, yyyy-MM-dd. */
            plannedFinalDueDate?: string;
            purposeOfUse?: "HomeLoan" | "HomeLoanForFirstHome" | "HomeLoanForLeisureHouse" | "HomeLoanForInvestment" | "StudentLoan" | "LoanForVehicleOrCraft" | "OtherConsumerCredit" | "GuaranteeReceivable" | "LoanForBusinessActivities" | "OtherLoan";
        };
        runningAccountLoan?: {
            /** May be 0 Exact number: at most two decimals for amounts, four for percentages. */
            creditLimit?: number;
            /** Amount drawn Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Value date of the balance Date, yyyy-MM-dd. */
            balanceDate?: string;
        };
        leasingContract?: {
            /** Date, yyyy-MM-dd. */
            contractPeriodStartDate?: string;
            /** Date, yyyy-MM-dd. */
            contractPeriodEndDate?: string;
            /** Greater than zero (D10) Exact number: at most two decimals for amounts, four for percentages. */
            monthlyInstalment?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            transactionPrice?: number;
        };
        /** Ended: terminated (or transferred to another lender) */
        loanStatus: "Active" | "Ended";
        /** When the loan ended Date, yyyy-MM-dd. */
        endDate?: string;
        isTransferredToAnotherLender?: boolean;
        /** Overdue instalments now (none once the loan has ended) */
        delayedAmounts: Array<{
            /** Exact number: at most two decimals for amounts, four for percentages. */
            delayedInstalment: number;
            /** Date, yyyy-MM-dd. */
            originalDueDate: string;
        }>;
        isForeclosed: boolean;
        /** Date, yyyy-MM-dd. */
        foreclosureDate?: string;
        /** The latest repayment reported */
        repaymentsPaidLast?: {
            /** Date, yyyy-MM-dd. */
            paymentDate: string;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            amortizationPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            interestPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            otherExpenses?: number;
            /** Leasing Exact number: at most two decimals for amounts, four for percentages. */
            amountPaid?: number;
        };
        /** When the latest accepted report on the loan was received Date-time, ISO 8601. */
        lastReportTimeUtc: string;
    };
};
/** POST /GetVoluntaryBanChanges: the request body. The changes of voluntary bans on credits whose persons consented to passing them to credit information companies Page with nextCursor until moreAvailable is false. No change is skipped and none comes twice, whatever is written meanwhile. Every change delivered is logged and shown to the person. */
export type GetVoluntaryBanChangesRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    /** nextCursor of the previous answer, exactly as received; none (or null) to start, or to start again after losing your copy: then the current state of every consented ban comes first, as Set */
    cursor?: string | null;
    /** At most this many changes (1–10000; default 1000); more than 10000 is refused with A10, not cut Schema: 1–10000. */
    limit?: number;
};
/** POST /GetVoluntaryBanChanges: the 200 answer. */
export type GetVoluntaryBanChangesResponse = {
    statusMessage: string;
    correlationId: string;
    changes: Array<{
        personIdCode: string;
        /** Set or Changed: store this ban (it replaces any copy); Removed: the ban ended (removed, or its end date passed): delete the copy; ConsentWithdrawn: the person withdrew consent: delete the copy (no data comes with it) */
        change: "Set" | "Changed" | "Removed" | "ConsentWithdrawn";
        reason: "RiskOfIdentityTheft" | "ControlOfPersonalFinances" | "Other" | null;
        startDate: string | null;
        endDate: string | null;
        /** Date-time, ISO 8601. */
        changeTimeUtc: string;
    }>;
    /** Opaque; pass it to the next call. It is given to your organisation only. */
    nextCursor: string;
    /** More changes were ready: call again at once (false: you are up to date; poll later) */
    moreAvailable: boolean;
};
/** GET /health: the 200 answer. */
export type HealthResponse = {
    status: "ok";
    /** This register's environment */
    environment: "Test" | "Production";
};
/** POST /IncomeFeed: the request body. Monthly income summaries per person (our design); a later one for the same person and month replaces the earlier */
export type IncomeFeedRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    incomeMonths: Array<{
        idCode: string;
        year: number;
        month: number;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        wagesGrossAmount?: number;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        wagesNetAmount?: number;
        /** Pensions count as benefits Exact number: at most two decimals for amounts, four for percentages. */
        benefitsGrossAmount?: number;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        benefitsNetAmount?: number;
        /** The person has disputed this month with the income source */
        accuracyDenied?: boolean;
    }>;
};
/** POST /IncomeFeed: the 200 answer. */
export type IncomeFeedResponse = {
    /** The request succeeded */
    statusMessage: string;
    /** The id of this request (also the X-Correlation-Id header); quote it when asking about it */
    correlationId: string;
    acceptedCount: number;
    rejectedCount: number;
    /** The months not stored, each with its reasons; the others were stored */
    rejected: Array<{
        /** Position in incomeMonths, from 0 */
        index: number;
        errorResponses: Array<{
            fieldName?: string;
            errorCode: string;
            errorDescription: string;
        }>;
    }>;
};
/** POST /OrderData: the request body. Order data: a person's loans, the loan stock at a day's end, monthly aggregates, or reports received late; one-off or recurring The answer is an order id; the content is produced in the background and fetched with GetDataDelivery. Every download is logged. */
export type OrderDataRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    order: {
        /** PersonLoans, LoanStockSnapshot, MonthlyAggregates or LateReporting */
        type: "PersonLoans" | "LoanStockSnapshot" | "MonthlyAggregates" | "LateReporting";
        /** Once (default); Daily or Monthly: a delivery for each day or month once it has ended, from the current one on */
        recurrence?: "Once" | "Daily" | "Monthly";
        /** The provision the authority relies on; required for PersonLoans Schema: length 1–500. */
        legalBasis?: string;
        /** The authority's case; required for PersonLoans Schema: length 1–200. */
        caseReference?: string;
        idCodeType?: "PersonalIdentityCode";
        /** PersonLoans: the person Schema: length 0–20. */
        idCode?: string;
        /** LateReporting, one-off: the first day reports were received Schema: length 0–10. */
        fromDate?: string;
        /** LateReporting, one-off: the last day (yesterday at the latest) Schema: length 0–10. */
        toDate?: string;
        /** LoanStockSnapshot, one-off: the day at whose end the stock is read (yesterday at the latest) Schema: length 0–10. */
        snapshotDate?: string;
        /** MonthlyAggregates, one-off: the first month, yyyy-mm Schema: length 0–7. */
        fromMonth?: string;
        /** MonthlyAggregates, one-off: the last month, yyyy-mm (final once the day after it has ended) Schema: length 0–7. */
        toMonth?: string;
        /** MonthlyAggregates: NDJSON (default) or CSV */
        format?: "NDJSON" | "CSV";
    };
};
/** POST /OrderData: the 200 answer. */
export type OrderDataResponse = {
    statusMessage: string;
    correlationId: string;
    /** Ask GetDataDelivery with it */
    orderId: string;
};
/** POST /Repayments: the request body. Repayments: a batch of reports (repayments) Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus. */
export type RepaymentsRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    repayments: Array<{
        reportReference: string;
        reportType?: "NewReport" | "ErrorCorrection" | "Cancellation" | "Unknown";
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
        /** Date-time, ISO 8601. */
        reportCreationTimeUtc?: string;
        lumpSumLoanRepayment?: {
            /** Date, yyyy-MM-dd. */
            paymentDate: string;
            /** Balance after the payment Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            amortizationPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            interestPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            otherExpenses?: number;
        };
        runningAccountLoanRepayment?: {
            /** Date, yyyy-MM-dd. */
            balanceDate: string;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            creditLimit?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            interestPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            otherExpenses?: number;
        };
        leasingRepayment?: {
            /** Date, yyyy-MM-dd. */
            paymentDate: string;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            amountPaid?: number;
        };
    }>;
};
/** POST /Repayments: the 202 answer. */
export type RepaymentsResponse = {
    batchReference: string;
    batchStatus: "Received" | "Processed" | "FinishedSuccess" | "FinishedPartialSuccess" | "FinishedFailed";
};
/** POST /ResetTestData: the request body. Deletes the calling lender's own test data (Test environment only; our design) */
export type ResetTestDataRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
};
/** POST /ResetTestData: the 200 answer. */
export type ResetTestDataResponse = {
    /** The request succeeded */
    statusMessage: string;
    /** The id of this request (also the X-Correlation-Id header); quote it when asking about it */
    correlationId: string;
    /** What was deleted: the caller's loans and batches */
    deleted: {
        loans: number;
        batches: number;
    };
};
/** POST /TerminateLoans: the request body. TerminateLoans: a batch of reports (loanTerminations) Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus. */
export type TerminateLoansRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    loanTerminations: Array<{
        reportReference: string;
        reportType?: "NewReport" | "ErrorCorrection" | "Cancellation" | "Unknown";
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        termination: {
            isTerminated?: boolean;
            /** Not before contractDate (D15), not in the future (D12) Date, yyyy-MM-dd. */
            endDate: string;
            isTransferredToAnotherLender?: boolean;
        };
    }>;
};
/** POST /TerminateLoans: the 202 answer. */
export type TerminateLoansResponse = {
    batchReference: string;
    batchStatus: "Received" | "Processed" | "FinishedSuccess" | "FinishedPartialSuccess" | "FinishedFailed";
};
/** POST /UpdateLoans: the request body. UpdateLoans: a batch of reports (loans) Answered 202 once the batch is stored; the reports are processed after that. Follow with GetBatchStatus. */
export type UpdateLoansRequest = {
    /** The environment the request is meant for; must be this register's (A20) */
    targetEnvironment: "Test" | "Production";
    /** An organisation: its Business ID, or a foreign business ID with its country code */
    owner: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        /** Schema: length 1–30. */
        idCode: string;
        /** Schema: pattern ^[A-Za-z]{2}$. */
        countryCode?: string;
    };
    loans: Array<{
        /** The lender's id for this report, 1–100 characters; unique within the batch (D20) */
        reportReference: string;
        /** UpdateLoans only; absent or Unknown means NewReport */
        reportType?: "NewReport" | "ErrorCorrection" | "Cancellation" | "Unknown";
        /** The lender's unique id of the loan; the key of the loan together with the lender */
        loanNumber: {
            type: "Iban" | "Bban" | "Other";
            /** 1–100 characters (D25) */
            number: string;
        };
        loanType: "LumpSumLoan" | "RunningAccountLoan" | "Leasing" | "GuaranteeReceivable";
        /** Not in the future (D12) Date, yyyy-MM-dd. */
        contractDate: string;
        /** ISO 4217; required in AddLoans (D16, D24) */
        currencyCode?: string;
        isPeerToPeerLoanBroker?: boolean;
        /** At most 200 characters (D25) */
        lenderMarketingName?: string;
        /** Exact number: at most two decimals for amounts, four for percentages. */
        oneTimeServiceFees?: number;
        isTransferredFromAnotherLender?: boolean;
        /** All debtors, including any not reported; ≥ the number of borrowers (D05) */
        borrowersCount?: number;
        borrowers: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
            /** Stage 2: the borrower's Business ID when the loan is for the borrower's business (D19) */
            businessId?: string;
        }>;
        /** Natural persons who gave a guarantee or third-party pledge (our design) */
        guarantors?: Array<{
            idCodeType: "PersonalIdentityCode";
            /** Personal identity code (D04) */
            idCode: string;
        }>;
        consumerCredit: {
            loanConsumerProtectionAct: "ConsumerCredit" | "ResidentialPropertyConsumerCredit" | "OtherThanConsumerCredit" | "Unknown";
            isGoodsOrServicesRelatedCredit?: boolean;
        };
        /** Required except for GuaranteeReceivable (D24) */
        interest?: {
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            totalInterestRatePct?: number;
            /** Percentage, at most four decimals Exact number: at most two decimals for amounts, four for percentages. */
            marginPct?: number;
            interestType?: "Euribor" | "BankReferenceRate" | "OtherVariableReferenceRate" | "FixedInterest" | "InterestFree";
            /** Months; 0 for fixed or free */
            interestDeterminationPeriod?: number;
        };
        /** APR at the time of the contract, percentage Exact number: at most two decimals for amounts, four for percentages. */
        annualPercentageRate?: number;
        isLoanWithCollateral?: boolean;
        collaterals?: Array<{
            collateralType: "ApartmentOrRealEstate" | "OtherImmovableProperty" | "InstalmentSaleItem" | "OtherMoveableProperty" | "PersonalGuarantee" | "GovernmentGuarantee" | "OtherGuarantee" | "OtherCollateral";
        }>;
        defermentPeriods?: Array<{
            /** Date, yyyy-MM-dd. */
            startDate: string;
            /** Date, yyyy-MM-dd. */
            endDate: string;
        }>;
        paymentPlan?: {
            isInDebtArrangement?: boolean;
            isInBusinessRestructuringProgram?: boolean;
        };
        lumpSumLoan?: {
            /** Granted amount Exact number: at most two decimals for amounts, four for percentages. */
            amountIssued?: number;
            /** Drawn so far; at most amountIssued (D02) Exact number: at most two decimals for amounts, four for percentages. */
            amountPaid?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end */
            amortizationFrequency?: number;
            repaymentMethod?: "FixedSizeAmortizations" | "FixedSizePayments" | "Annuities" | "Balloon" | "Bullet" | "Other";
            /** Date, yyyy-MM-dd. */
            plannedFinalDueDate?: string;
            purposeOfUse?: "HomeLoan" | "HomeLoanForFirstHome" | "HomeLoanForLeisureHouse" | "HomeLoanForInvestment" | "StudentLoan" | "LoanForVehicleOrCraft" | "OtherConsumerCredit" | "GuaranteeReceivable" | "LoanForBusinessActivities" | "OtherLoan";
        };
        runningAccountLoan?: {
            /** May be 0 Exact number: at most two decimals for amounts, four for percentages. */
            creditLimit?: number;
            /** Amount drawn Exact number: at most two decimals for amounts, four for percentages. */
            balance?: number;
            /** Value date of the balance Date, yyyy-MM-dd. */
            balanceDate?: string;
        };
        leasingContract?: {
            /** Date, yyyy-MM-dd. */
            contractPeriodStartDate?: string;
            /** Date, yyyy-MM-dd. */
            contractPeriodEndDate?: string;
            /** Greater than zero (D10) Exact number: at most two decimals for amounts, four for percentages. */
            monthlyInstalment?: number;
            /** Exact number: at most two decimals for amounts, four for percentages. */
            transactionPrice?: number;
        };
    }>;
};
/** POST /UpdateLoans: the 202 answer. */
export type UpdateLoansResponse = {
    batchReference: string;
    batchStatus: "Received" | "Processed" | "FinishedSuccess" | "FinishedPartialSuccess" | "FinishedFailed";
};
/** GET /whoami: the 200 answer. */
export type WhoamiResponse = {
    organisation: {
        idCodeType: "BusinessId" | "ForeignBusinessId";
        idCode: string;
        /** ForeignBusinessId only */
        countryCode?: string;
        name: string;
        roles: string[];
        /** The id as one text: the Business ID, or countryCode:idCode */
        businessId: string;
    };
    certificate: {
        serial: string;
        usage: "reporting" | "data-use";
        environment: "Test" | "Production";
        /** Date-time, ISO 8601. */
        notAfter: string;
    };
    permissions: Array<{
        permission: string;
        purposes: string[];
        /** Limits of the permission, where it has any */
        scope: Record<string, unknown>;
    }>;
};
