/**
 * What the register's areas tell the operator's metrics (registry.ts): small interfaces, so that
 * the API, the reporting processor, the extract producer and the notification job know nothing
 * of prom-client, and a caller without metrics (a CLI command, a test) passes nothing and gets
 * the no-op. Every argument that becomes a label is bounded by its type (an operation, a
 * catalogue code, a purpose, an outcome): never an organisation, a person, a batch or a URL.
 */

/** The API (http/app.ts): one call per answered request. */
export interface HttpObserver {
  /**
   * `operation`: the register operation (AddLoans, GetCreditRegisterExtract …), or the route's
   * pattern for a route that is none (/health, /error-codes), or `(unmatched)`; `errorCode`: the
   * catalogue code of a refusal.
   */
  requestAnswered(operation: string, status: number, seconds: number, errorCode?: string): void;
}

/** How a batch ended, as GetBatchStatus tells it. */
export type BatchEnd = 'FinishedSuccess' | 'FinishedPartialSuccess' | 'FinishedFailed';

/**
 * A failure of processing a batch: `passing` (the database; the batch waits and is retried),
 * `isolated` (a failure for good of the whole batch: its reports were applied one at a time),
 * `ended` (not even that: the batch ended FinishedFailed with A99).
 */
export type BatchFailure = 'passing' | 'isolated' | 'ended';

/** The reporting door (routes.ts) and processor (processor.ts). */
export interface ReportingObserver {
  /** A new batch was stored (202); a repeat of a stored batch is not counted again. */
  batchReceived(operation: string): void;
  /**
   * A batch ended (committed): its end, its reports' outcomes (the codes of each rejected
   * report, each code once a report), how long its processing took and how long since it arrived.
   */
  batchProcessed(operation: string, end: BatchEnd, reports: { accepted: number; rejected: number; rejections: ReadonlyMap<string, number> }, seconds: { processing: number; sinceReceived: number }): void;
  batchFailed(operation: string | undefined, failure: BatchFailure): void;
}

/** The extract API (extract/routes.ts) and its group commit (extract/store.ts). */
export interface ExtractObserver {
  /** An extract was disclosed (its log entry committed), with the purposes the lender named. */
  extractDisclosed(purposes: readonly string[]): void;
  /** A group of extracts was logged by one statement (`ok`), or failed and was produced again one at a time. */
  extractGroup(size: number, ok: boolean): void;
}

/** What became of one notification the job handled (notifications/job.ts). */
export type NotificationOutcome = 'sent' | 'duplicate' | 'skipped' | 'retrying' | 'gaveUp' | 'lost';

export interface NotificationObserver {
  notificationHandled(outcome: NotificationOutcome, count?: number): void;
}

/** What became of a login at the e-service: sent to the provider, a session made, refused (the provider's answer did not name a person the register may show), or the provider could not be reached. */
export type LoginOutcome = 'started' | 'succeeded' | 'refused' | 'provider_unreachable';

/** The e-service for private persons (eservice/app.ts): its own listener, its own metrics. */
export interface EserviceObserver {
  /** `route`: the route's pattern (/loans, /extracts/:reference …) or `(unmatched)`; never the URL. */
  pageAnswered(route: string, status: number, seconds: number): void;
  login(outcome: LoginOutcome): void;
}

export type RegisterObserver = HttpObserver & ReportingObserver & ExtractObserver & NotificationObserver & EserviceObserver;

/** Metrics off: every observation dropped. */
export const NO_METRICS: RegisterObserver = {
  requestAnswered() {},
  batchReceived() {},
  batchProcessed() {},
  batchFailed() {},
  extractDisclosed() {},
  extractGroup() {},
  notificationHandled() {},
  pageAnswered() {},
  login() {},
};
