/** @opcr/client: a typed client of the Open Positive Credit Register. See README.md. */
export { RegisterClient, RawJson, DEFAULT_RETRY, newBatchReference } from './client.ts';
export type { RegisterClientOptions, RetryPolicy, RetryEvent, BatchOptions, SubmittedBatch, WaitOptions } from './client.ts';
export { RegisterApiError, RegisterConnectionError, WaitTimeoutError } from './errors.ts';
export { OPERATIONS, type OperationInfo, type OperationName } from './operations.ts';
export { readCertDir, httpsTransport, type Transport, type HttpRequest, type HttpResponse, type TlsFiles } from './transport.ts';
export { BATCH_COLLECTIONS, BATCH_REFERENCE_PATTERN } from './generated.ts';
export type * from './types.ts';
export type * as Schemas from './generated.ts';
