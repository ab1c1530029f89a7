/** @opcr/client: a typed client of the Open Positive Credit Register. See README.md. */
export { RegisterClient, RawJson, DEFAULT_RETRY, newBatchReference } from "./client.js";
export { RegisterApiError, RegisterConnectionError, WaitTimeoutError } from "./errors.js";
export { OPERATIONS } from "./operations.js";
export { readCertDir, httpsTransport } from "./transport.js";
export { BATCH_COLLECTIONS, BATCH_REFERENCE_PATTERN } from "./generated.js";
