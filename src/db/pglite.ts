/**
 * The embedded back end: PGlite, PostgreSQL in WebAssembly on the register's own thread.
 *
 * Statements go through a cache of named prepared statements, as pg's do in postgres.ts: the
 * first run of a statement parses it and learns its parameter and column types (one call into
 * PostgreSQL), every later run binds and executes it in one call, planned as PostgreSQL plans
 * prepared statements. PGlite's own `query` spends five calls and a parse and plan on every run;
 * on the register's one thread that was half of an e-service page's CPU (docs/benchmarks.md).
 * One lock orders every statement and holds the database for a transaction from BEGIN to its
 * end, as PGlite's own transactions do.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Mutex, PGlite, protocol, types } from '@electric-sql/pglite';
import { collectGarbage } from '../common/memory-saver.ts';
import type { Database, Queryable, QueryResult } from './database.ts';
import { GENERIC_PLAN, typeParsers } from './database.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const { serialize } = protocol;

/** Statements worth preparing: plain data statements. Others (SET, DDL, transaction control) run as PGlite runs them. */
const PREPARABLE = /^\s*(?:\/\* generic plan \*\/\s*)?(?:SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b/i;
/** Statements after which a prepared statement's columns may have changed: the cache is emptied. */
const CHANGES_SCHEMA = /^\s*(?:CREATE|ALTER|DROP|COMMENT)\b/i;
/** Around a statement marked GENERIC_PLAN: its plan is chosen when it is bound, so only its Bind runs with this set. */
const FORCE_GENERIC = 'SET plan_cache_mode = force_generic_plan';
const UNFORCE = 'RESET plan_cache_mode';
/** Prepared statements kept at most (the least recently used one is closed beyond it). */
const CACHE_SIZE = 500;

interface Prepared {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

type Message = { name: string; [k: string]: unknown };

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The error of a failed answer, as PGlite's own parser makes it (a DatabaseError with PostgreSQL's code, detail, position …). */
function databaseError(bytes: Uint8Array): Error {
  let error: Error | undefined;
  new protocol.Parser().parse(bytes, (m: { name: string }) => {
    if (m.name === 'error' && !error) error = m as unknown as Error;
  });
  return error ?? new Error('The embedded database answered with an error it did not describe');
}

/** A statement's answer read straight from the backend's bytes: its rows' text values and the command tags. */
interface RawAnswer {
  rows: (string | null)[][];
  tags: string[];
  /** An ErrorResponse was among the messages: the bytes go to PGlite's own parser for its error. */
  failed: boolean;
}

/**
 * Reads DataRow and CommandComplete messages of the backend protocol from `buf`, each field
 * decoded once from a view of the bytes. PGlite's own parser copies every field into a new
 * ArrayBuffer before decoding it (its BufferReader.bytes): a tenth of an e-service page's CPU.
 * Every other message (BindComplete, ReadyForQuery, notices …) is skipped; an ErrorResponse
 * marks the answer failed.
 */
function readAnswer(buf: Uint8Array): RawAnswer {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const answer: RawAnswer = { rows: [], tags: [], failed: false };
  let at = 0;
  while (at + 5 <= buf.length) {
    const type = buf[at]!;
    const end = at + 1 + view.getInt32(at + 1);
    if (type === 0x44 /* D */) {
      const n = view.getInt16(at + 5);
      const row: (string | null)[] = new Array(n);
      let f = at + 7;
      for (let i = 0; i < n; i++) {
        const len = view.getInt32(f);
        f += 4;
        if (len < 0) row[i] = null;
        else {
          row[i] = utf8.decode(buf.subarray(f, f + len));
          f += len;
        }
      }
      answer.rows.push(row);
    } else if (type === 0x43 /* C */) {
      answer.tags.push(utf8.decode(buf.subarray(at + 5, end - 1)));
    } else if (type === 0x45 /* E */) {
      answer.failed = true;
    }
    at = end;
  }
  return answer;
}

/** The one connection: its prepared statements, and statements run on it (the caller holds the lock). */
class Connection {
  readonly #pglite: PGlite;
  readonly #cache = new Map<string, Prepared>();
  #closing: string[] = [];
  #next = 0;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async query<T>(sql: string, params: unknown[], inTransaction: boolean): Promise<QueryResult<T>> {
    if (!PREPARABLE.test(sql)) {
      const r = await this.#pglite.query<T>(sql, params);
      if (CHANGES_SCHEMA.test(sql)) await this.forget();
      return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
    }
    const p = await this.#prepared(sql);
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const s = this.#pglite.serializers[p.paramTypes[i]!];
      return s ? s(v) : String(v);
    });
    const run = [serialize.bind({ statement: p.name, values: values as string[] }), serialize.execute({})];
    if (sql.startsWith(GENERIC_PLAN) && params.length > 0) {
      // SET is transactional: if the statement fails, the implicit (or the caller's) transaction
      // is rolled back and the setting with it, so it never outlives this statement.
      const [force, unforce] = [await this.#prepared(FORCE_GENERIC), await this.#prepared(UNFORCE)];
      run.unshift(serialize.bind({ statement: force.name }), serialize.execute({}));
      run.push(serialize.bind({ statement: unforce.name }), serialize.execute({}));
    }
    const message = concat([...this.#closes(), ...run, serialize.sync()]);
    // The answer's bytes as they come (a copy each: the chunk is PGlite's buffer), read by readAnswer.
    const chunks: Uint8Array[] = [];
    await this.#pglite.execProtocolRawStream(message, { syncToFs: !inTransaction, onRawData: (chunk) => void chunks.push(chunk.slice()) });
    const bytes = chunks.length === 1 ? chunks[0]! : concat(chunks);
    const answer = readAnswer(bytes);
    if (answer.failed) throw databaseError(bytes);
    const rows: T[] = [];
    let rowCount = 0;
    const parsers = this.#pglite.parsers;
    for (const values of answer.rows) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < p.fields.length; i++) row[p.fields[i]!.name] = types.parseType(values[i]!, p.fields[i]!.dataTypeID, parsers);
      rows.push(row as T);
    }
    for (const tag of answer.tags) {
      // As PGlite counts: the rows a data-changing command touched (a SELECT's are its rows).
      const words = tag.split(' ');
      if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(words[0]!)) rowCount += Number(words.at(-1));
    }
    return { rows, rowCount };
  }

  async exec(sql: string): Promise<void> {
    await this.#pglite.exec(sql);
    await this.forget();
  }

  /** Closes every prepared statement (after a schema change, so that none runs with the old columns). */
  async forget(): Promise<void> {
    if (this.#cache.size === 0) return;
    for (const p of this.#cache.values()) this.#closing.push(p.name);
    this.#cache.clear();
    await this.#pglite.execProtocol(concat([...this.#closes(), serialize.sync()]));
  }

  #closes(): Uint8Array[] {
    const names = this.#closing;
    this.#closing = [];
    return names.map((name) => serialize.close({ type: 'S', name }));
  }

  async #prepared(sql: string): Promise<Prepared> {
    const hit = this.#cache.get(sql);
    if (hit) {
      this.#cache.delete(sql); // most recently used last
      this.#cache.set(sql, hit);
      return hit;
    }
    const name = `pcr_${++this.#next}`;
    const { messages } = await this.#pglite.execProtocol(
      concat([...this.#closes(), serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      { syncToFs: false },
    );
    const params = (messages as Message[]).find((m) => m.name === 'parameterDescription') as { dataTypeIDs: number[] } | undefined;
    const row = (messages as Message[]).find((m) => m.name === 'rowDescription') as { fields: { name: string; dataTypeID: number }[] } | undefined;
    const prepared = {
      name,
      paramTypes: params?.dataTypeIDs ?? [],
      fields: (row?.fields ?? []).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    };
    this.#cache.set(sql, prepared);
    if (this.#cache.size > CACHE_SIZE) {
      const [oldest, evicted] = this.#cache.entries().next().value as [string, Prepared];
      this.#cache.delete(oldest);
      this.#closing.push(evicted.name);
    }
    return prepared;
  }
}

function queryable(connection: Connection, inTransaction: boolean, guard: () => void = () => {}): Queryable {
  const query = async <T>(sql: string, params: unknown[] = []) => {
    guard();
    return connection.query<T>(sql, params, inTransaction);
  };
  return {
    query,
    async exec(sql: string): Promise<void> {
      guard();
      await connection.exec(sql);
    },
    async queryUtf8(sql: string, params: unknown[] = []): Promise<string[]> {
      const r = await query<Record<string, unknown>>(sql, params);
      return r.rows.map((row) => utf8.decode(Object.values(row)[0] as Uint8Array));
    },
  };
}

/** Thrown when COMMIT finds the transaction aborted (a statement in it failed) and rolls it back. */
class TransactionAborted extends Error {
  constructor() {
    super('Transaction was rolled back instead of committed');
  }
}

export type PgliteDatabase = Database & { pglite: PGlite };

/**
 * PostgreSQL's shared buffers inside PGlite, in MB (docs/memory.md). PGlite keeps them in its
 * WebAssembly heap and zeroes them at start, so all of them are resident from the first
 * second; and that heap only grows (WebAssembly memory is never given back). initdb's 128 MB
 * was a quarter of the register's memory at idle; the embedded register's data files are
 * cached by the operating system as well, which shares the memory with whatever needs it.
 */
export const EMBEDDED_SHARED_BUFFERS_MB = { min: 8, max: 1024, default: 32 } as const;

/**
 * Server settings of every embedded database, given on PostgreSQL's command line so that they
 * apply to data directories made before them too (the command line wins over postgresql.conf).
 * maintenance_work_mem (64 MB by default) is taken once by an index build or VACUUM and kept by
 * the heap for good afterwards; 16 MB is ample for the embedded register's sizes.
 */
export function embeddedSettings(sharedBuffersMb: number = EMBEDDED_SHARED_BUFFERS_MB.default): Record<string, string> {
  const { min, max } = EMBEDDED_SHARED_BUFFERS_MB;
  if (!Number.isInteger(sharedBuffersMb) || sharedBuffersMb < min || sharedBuffersMb > max) {
    throw new RangeError(`shared buffers must be a whole number of MB from ${min} to ${max}`);
  }
  return { shared_buffers: `${sharedBuffersMb}MB`, maintenance_work_mem: '16MB' };
}

/**
 * The embedded back end. `dataDir` persists the database in a folder; without it the
 * database lives in memory. `loadDataDir` starts from a dump (the tests' migrated template).
 * `sharedBuffersMb` sizes PostgreSQL's cache (EMBEDDED_SHARED_BUFFERS_MB; less on a small machine).
 */
export async function openPglite(opts: { dataDir?: string; loadDataDir?: Blob | File; sharedBuffersMb?: number } = {}): Promise<PgliteDatabase> {
  const settings = Object.entries(embeddedSettings(opts.sharedBuffersMb)).map(([name, value]) => `${name}=${value}`);
  const fresh = opts.dataDir !== undefined && !opts.loadDataDir && !existsSync(join(opts.dataDir, 'PG_VERSION'));
  const pglite = new PGlite({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    parsers: typeParsers,
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    startParams: [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])],
    // A new data directory's postgresql.conf says the same (initdb would write its own 128 MB).
    initDbStartParams: settings.flatMap((s) => ['--set', s]),
  });
  await pglite.waitReady;
  // A new data directory was made by initdb in this process: its two WebAssembly instances
  // (about 300 MB resident) are garbage once this call has returned (not yet here), but an idle
  // register would keep them until V8's next full collection, a minute or more later
  // (docs/memory.md, "The first start"). Measured: 680 -> 400 MB right after.
  if (fresh) setTimeout(collectGarbage, 100).unref();
  const connection = new Connection(pglite);
  const lock = new Mutex();
  const outside = queryable(connection, false);
  const locked = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => (...a: A) => lock.runExclusive(() => fn(...a));
  return {
    kind: 'pglite',
    concurrency: 1,
    pglite,
    query: <T>(sql: string, params?: unknown[]) => lock.runExclusive(() => outside.query<T>(sql, params)),
    exec: locked(outside.exec),
    queryUtf8: locked(outside.queryUtf8),
    transaction: (fn) =>
      lock.runExclusive(async () => {
        await connection.query('BEGIN', [], true);
        let open = true;
        const tx = queryable(connection, true, () => {
          if (!open) throw new Error('Transaction is closed');
        });
        try {
          const result = await fn(tx);
          open = false;
          const commit = await pglite.query('COMMIT');
          // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK.
          if ((commit as { command?: string }).command === 'ROLLBACK') throw new TransactionAborted();
          return result;
        } catch (err) {
          if (open) {
            open = false;
            await pglite.query('ROLLBACK');
          }
          throw err;
        }
      }),
    close: () => lock.runExclusive(() => pglite.close()),
  };
}
