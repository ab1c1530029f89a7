/**
 * Bulk upload of a joining lender's stock (or any big NDJSON file of reports): split into
 * batches, sent over mutual TLS, followed with GetBatchStatus, rejected reports written out.
 * Batch references are derived from their content, and a state file records what was sent,
 * so an interrupted upload resumes without sending a batch twice.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { RawJson, RegisterApiError, RegisterClient } from '../../client/src/index.ts';
import type { TlsIdentity } from '../common/https-client.ts';
import { BATCH_OPERATIONS, type BatchOperation } from './schemas.ts';

export interface UploadOptions {
  url: string;
  identity: TlsIdentity;
  operation: BatchOperation;
  file: string;
  batchSize: number;
  rejectedFile: string;
  stateFile: string;
  onProgress?: (p: UploadProgress) => void;
}

export interface UploadProgress {
  totalReports: number;
  sentReports: number;
  finishedReports: number;
  acceptedReports: number;
  rejectedReports: number;
  skippedLines: number;
  batches: number;
  finishedBatches: number;
  elapsedMs: number;
  reportsPerSecond: number;
}

interface BatchPlan {
  index: number;
  reference: string;
  lines: number[];
  /** The reports as JSON texts, and the batch's body as the client sends it (its hash names the batch). */
  reports: string[];
  body: string;
}

interface UploadState {
  file: string;
  operation: string;
  batches: Record<string, { reference: string; status: string; accepted?: number; rejected?: number }>;
}

export class UploadError extends Error {}

interface WhoAmI {
  organisation: { idCodeType: string; idCode: string; countryCode?: string };
  certificate: { usage: string; environment: string };
}

type Status = { batchStatus: string; acceptedCount?: number; rejectedCount?: number; rejectedReports?: { reportReference: string; errorResponses: unknown[] }[] };

/**
 * Streams the file as batches of the caller's own reports (lines naming another lender are
 * skipped), so that a file of any size is sent with one batch in memory at a time.
 */
async function* batchesOf(opts: UploadOptions, businessId: string, envelope: string, counts: { total: number; skipped: number }): AsyncGenerator<BatchPlan> {
  const collection = BATCH_OPERATIONS[opts.operation].collection;
  const ownPrefix = `{"lenderBusinessId":${JSON.stringify(businessId)}`;
  let lines: number[] = [];
  let reports: string[] = [];
  let index = 0;
  let lineNo = 0;
  const plan = (): BatchPlan => {
    const body = `${envelope.slice(0, -1)},${JSON.stringify(collection)}:[${reports.join(',')}]}`;
    const hash = createHash('sha256').update(opts.operation).update(body).digest('hex').slice(0, 20);
    const p = { index: index++, reference: `Upload_${opts.operation}_${hash}`, lines, reports, body };
    lines = [];
    reports = [];
    return p;
  };
  const rl = createInterface({ input: createReadStream(opts.file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const raw of rl) {
    lineNo++;
    const line = raw.trim();
    if (!line) continue;
    // Generated national data names each report's lender first: other lenders' lines are skipped unparsed.
    if (line.startsWith('{"lenderBusinessId":') && !line.startsWith(ownPrefix)) {
      counts.skipped++;
      continue;
    }
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    } catch {
      throw new UploadError(`${opts.file}:${lineNo}: not a JSON object`);
    }
    const lender = value.lenderBusinessId;
    if (lender !== undefined) {
      if (lender !== businessId) {
        counts.skipped++;
        continue;
      }
      delete value.lenderBusinessId;
      reports.push(JSON.stringify(value));
    } else {
      reports.push(line);
    }
    lines.push(lineNo);
    counts.total++;
    if (reports.length >= opts.batchSize) yield plan();
  }
  if (reports.length > 0) yield plan();
}

function loadState(opts: UploadOptions): UploadState {
  if (existsSync(opts.stateFile)) {
    const state = JSON.parse(readFileSync(opts.stateFile, 'utf8')) as UploadState;
    if (state.operation === opts.operation) return state;
  }
  return { file: opts.file, operation: opts.operation, batches: {} };
}

function saveState(opts: UploadOptions, state: UploadState): void {
  writeFileSync(`${opts.stateFile}.tmp`, JSON.stringify(state, null, 1));
  renameSync(`${opts.stateFile}.tmp`, opts.stateFile);
}

export async function upload(opts: UploadOptions): Promise<UploadProgress & { rejectedFile: string }> {
  // The register's client library (client/): it retries what may be retried (Retry-After on 429
  // and 503, connections), and resends a batch only under its one reference, with the same bytes.
  const client = new RegisterClient({ url: opts.url, ca: opts.identity.ca, cert: opts.identity.cert!, key: opts.identity.key!, maxSockets: 2 });
  const started = Date.now();
  try {
    const who = (await client.whoami().catch((err: unknown) => {
      if (err instanceof RegisterApiError) throw new UploadError(`The register refused the certificate (${err.status}): ${err.message}`);
      throw err;
    })) as unknown as WhoAmI;
    const { organisation, certificate } = who;
    if (certificate.usage !== 'reporting') throw new UploadError('Uploading reports needs a reporting certificate');
    const owner = { idCodeType: organisation.idCodeType, idCode: organisation.idCode, ...(organisation.countryCode ? { countryCode: organisation.countryCode } : {}) };
    const envelope = JSON.stringify({ targetEnvironment: certificate.environment, owner });
    const state = loadState(opts);
    const counts = { total: 0, skipped: 0 };
    const progress: UploadProgress = {
      totalReports: 0, sentReports: 0, finishedReports: 0, acceptedReports: 0, rejectedReports: 0, skippedLines: 0,
      batches: 0, finishedBatches: 0, elapsedMs: 0, reportsPerSecond: 0,
    };
    const report = () => {
      progress.totalReports = counts.total;
      progress.skippedLines = counts.skipped;
      progress.elapsedMs = Date.now() - started;
      progress.reportsPerSecond = Math.round((progress.finishedReports * 1000) / Math.max(1, progress.elapsedMs));
      opts.onProgress?.({ ...progress });
    };
    if (!existsSync(opts.rejectedFile) || Object.keys(state.batches).length === 0) writeFileSync(opts.rejectedFile, '');

    const finish = (plan: BatchPlan, status: Status) => {
      // Map each rejected reportReference back to its line(s) in the file.
      const byReference = new Map<string, number[]>();
      const reports = JSON.parse(plan.body)[BATCH_OPERATIONS[opts.operation].collection] as { reportReference?: string }[];
      reports.forEach((r, i) => {
        const list = byReference.get(String(r.reportReference)) ?? [];
        list.push(plan.lines[i]!);
        byReference.set(String(r.reportReference), list);
      });
      for (const rejected of status.rejectedReports ?? []) {
        for (const line of byReference.get(rejected.reportReference) ?? [undefined]) {
          appendFileSync(opts.rejectedFile, `${JSON.stringify({ line, reportReference: rejected.reportReference, batchReference: plan.reference, errorResponses: rejected.errorResponses })}\n`);
        }
      }
      state.batches[plan.index] = { reference: plan.reference, status: status.batchStatus, accepted: status.acceptedCount ?? 0, rejected: status.rejectedCount ?? 0 };
      saveState(opts, state);
    };

    const inFlight: BatchPlan[] = [];
    const poll = async (plan: BatchPlan): Promise<boolean> => {
      const status = (await client.getBatchStatus(plan.reference)) as unknown as Status;
      if (!status.batchStatus?.startsWith('Finished')) return false;
      finish(plan, status);
      progress.finishedReports += plan.lines.length;
      progress.acceptedReports += status.acceptedCount ?? 0;
      progress.rejectedReports += status.rejectedCount ?? 0;
      progress.finishedBatches++;
      report();
      return true;
    };
    const drain = async (keep: number) => {
      while (inFlight.length > keep) {
        if (await poll(inFlight[0]!)) inFlight.shift();
        else await new Promise((r) => setTimeout(r, 100));
      }
    };
    for await (const plan of batchesOf(opts, organisation.idCode, envelope, counts)) {
      progress.batches++;
      // Batches finished in an earlier run are not sent again.
      const done = state.batches[plan.index];
      if (done && done.reference === plan.reference && done.status.startsWith('Finished')) {
        progress.sentReports += plan.lines.length;
        progress.finishedReports += plan.lines.length;
        progress.acceptedReports += done.accepted ?? 0;
        progress.rejectedReports += done.rejected ?? 0;
        progress.finishedBatches++;
        report();
        continue;
      }
      const res = await client.submitBatch(opts.operation, plan.reports.map((r) => new RawJson(r)), { batchReference: plan.reference }).catch((err: unknown) => {
        if (err instanceof RegisterApiError) throw new UploadError(`Batch ${plan.index + 1} (${plan.reference}) was refused (${err.status}): ${err.message.slice(0, 500)}`);
        throw err;
      });
      state.batches[plan.index] = { reference: plan.reference, status: res.batchStatus };
      saveState(opts, state);
      progress.sentReports += plan.lines.length;
      inFlight.push(plan);
      report();
      // At most two batches waiting: the register processes a lender's batches in order anyway.
      await drain(1);
    }
    await drain(0);
    report();
    return { ...progress, rejectedFile: opts.rejectedFile };
  } finally {
    client.close();
  }
}

/** A one-line progress bar: `[#####-----]  50%  5000/10000 reports  7200 reports/s  3 rejected`. */
export function progressLine(p: UploadProgress, width = 30): string {
  const share = p.totalReports === 0 ? 1 : p.finishedReports / p.totalReports;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${p.finishedReports}/${p.totalReports} reports  ${p.reportsPerSecond} reports/s  ${p.rejectedReports} rejected`;
}
