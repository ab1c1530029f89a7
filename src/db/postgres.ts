import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable, QueryResult } from './database.ts';
import { typeParsers } from './database.ts';
import { parseDatabaseUrl, type DatabaseHost, type TargetSessionAttrs } from './database-url.ts';

export { DatabaseUrlError, parseDatabaseUrl } from './database-url.ts';

const types = {
  getTypeParser(oid: number, format?: string) {
    const custom = typeParsers[oid];
    if (custom && format !== 'binary') return custom;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * Statements with parameters are prepared once per connection (named by their text's hash)
 * and then only bound and executed: the hot paths (extracts, batches) skip parsing and planning.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** A server as a session sees it: in recovery (a standby), and whether its transactions are read-only by default. */
interface SessionState {
  recovery: boolean;
  readOnly: boolean;
}

const SESSION_STATE = "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') = 'on' AS \"readOnly\"";

function suits(state: SessionState, attrs: TargetSessionAttrs, pass: 'first' | 'second'): boolean {
  switch (attrs) {
    case 'any':
      return true;
    case 'read-write':
      return !state.readOnly;
    case 'read-only':
      return state.readOnly;
    case 'primary':
      return !state.recovery;
    case 'standby':
      return state.recovery;
    case 'prefer-standby':
      return pass === 'second' || state.recovery;
  }
}

function describeState(state: SessionState): string {
  return state.recovery ? 'a standby (in recovery)' : state.readOnly ? 'read-only' : 'a primary (read-write)';
}

/**
 * SQLSTATE 08001 (sqlclient_unable_to_establish_sqlconnection): a connection exception, which
 * db/errors.ts counts as transient, so the work that needed the connection is retried.
 */
function noServer(message: string): Error {
  return Object.assign(new Error(message), { code: '08001' });
}

/** How long one server of a list may take to accept a probe: a machine that is off answers nothing. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Which server of a list the pool's new connections go to. The choice is kept until a
 * connection to it fails, is lost or finds it unsuitable (after a failover the old primary is
 * gone, or was made read-only); the next new connection then probes every server of the list
 * again, concurrently. Two read-write servers in one list is a split brain (an old primary
 * started again beside the promoted standby): no choice is made, and writes stop with an
 * error rather than go to two diverging databases.
 */
class HostResolver {
  private current: DatabaseHost | undefined;
  private resolving: Promise<DatabaseHost> | undefined;

  constructor(
    private readonly hosts: DatabaseHost[],
    private readonly attrs: TargetSessionAttrs,
  ) {}

  target(): Promise<DatabaseHost> {
    if (this.current) return Promise.resolve(this.current);
    this.resolving ??= this.resolve().finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  /** The chosen server failed us: the next new connection chooses again. */
  lost(host?: DatabaseHost): void {
    if (!host || this.current === host) this.current = undefined;
  }

  private async resolve(): Promise<DatabaseHost> {
    const states = await Promise.all(this.hosts.map((h) => probe(h)));
    const writable = this.attrs === 'read-write' || this.attrs === 'primary';
    for (const pass of ['first', 'second'] as const) {
      const fit = this.hosts.filter((_, i) => typeof states[i] !== 'string' && suits(states[i] as SessionState, this.attrs, pass));
      if (writable && fit.length > 1) {
        throw noServer(`More than one ${this.attrs} PostgreSQL server in the list (${fit.map((h) => h.label).join(', ')}): an old primary is running beside the promoted one; stop it before the register writes again`);
      }
      if (fit[0]) return (this.current = fit[0]);
      if (this.attrs !== 'prefer-standby') break;
    }
    const why = this.hosts.map((h, i) => `${h.label}: ${typeof states[i] === 'string' ? states[i] : describeState(states[i] as SessionState)}`);
    throw noServer(`No ${this.attrs} PostgreSQL server among ${this.hosts.length} (${why.join('; ')})`);
  }
}

/** A server's state, or why it could not be asked. */
async function probe(host: DatabaseHost): Promise<SessionState | string> {
  const client = new pg.Client({ connectionString: host.url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {}); // a probe's connection dying is its answer
  try {
    await client.connect();
    return (await client.query<SessionState>(SESSION_STATE)).rows[0]!;
  } catch (err) {
    return (err as Error).message || String((err as { code?: string }).code);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * pg's client, connecting to the server the resolver chose and checking, before the pool hands
 * the connection out, that the server is still what target_session_attrs asks for (a failover
 * may happen between the probe and the connection).
 */
function failoverClient(resolver: HostResolver, attrs: TargetSessionAttrs): typeof pg.Client {
  return class FailoverClient extends pg.Client {
    server: DatabaseHost | undefined;

    override connect(): Promise<pg.Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
    override connect(callback?: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): Promise<pg.Client> | void {
      const done = this.connectToChosen().then(() => this as pg.Client);
      if (!callback) return done;
      const cb = callback as (err: Error | null, c?: pg.Client) => void;
      done.then((c) => cb(null, c), (err: Error) => cb(err));
    }

    private async connectToChosen(): Promise<void> {
      const server = await resolver.target();
      this.server = server;
      if (server.host !== undefined) {
        // pg connects to this.host and this.port (TLS checks the name against the same host).
        this.host = server.host;
        this.port = server.port!;
        const params = (this as unknown as { connectionParameters: { host: string; port: number } }).connectionParameters;
        params.host = server.host;
        params.port = server.port!;
      }
      // A connection lost later (the server killed, the machine gone) sends the next one to choose again.
      this.on('error', () => resolver.lost(server));
      try {
        await super.connect();
      } catch (err) {
        resolver.lost(server);
        throw err;
      }
      if (attrs === 'any') return;
      const state = (await this.query<SessionState>(SESSION_STATE)).rows[0]!;
      if (!suits(state, attrs, 'second')) {
        resolver.lost(server);
        await this.end().catch(() => {});
        throw noServer(`${server.label} is ${describeState(state)}, not ${attrs}`);
      }
    }
  };
}

/** SQLSTATE 25006: a write on a read-only server (ours was made read-only or is a standby now). */
function isReadOnlyError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '25006';
}

/** `failed` sees every statement's error first (the failover pool's read-only check); pass-through otherwise. */
function wrap(client: pg.Pool | pg.PoolClient, failed?: (err: unknown) => void): Queryable {
  const watch = failed
    ? <R>(p: Promise<R>): Promise<R> =>
        p.catch((err: unknown) => {
          failed(err);
          throw err;
        })
    : <R>(p: Promise<R>): Promise<R> => p;
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
      const r = await watch(params.length > 0 ? client.query({ name: statementName(sql), text: sql, values: params }) : client.query(sql));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await watch(client.query(sql));
    },
    async queryUtf8(sql: string, params: unknown[] = []): Promise<string[]> {
      // `binary` (the result format) is in pg's query options, not in its types. A connection in
      // text mode hands a binary value over decoded as UTF-8 (pg's parser for a type without a
      // binary parser): the bytea's bytes are the text.
      const config = { name: statementName(`binary ${sql}`), text: sql, values: params, binary: true } as pg.QueryConfig;
      const r = await watch(client.query(config));
      return r.rows.map((row: Record<string, unknown>) => Object.values(row)[0] as string);
    },
  };
}

/**
 * The production back end: a connection pool to a PostgreSQL server, or to the one server of a
 * list (primary and standby) that target_session_attrs asks for (parseDatabaseUrl): after a
 * failover the pool's new connections find the promoted server, and the work whose connection
 * was lost fails with a transient error (db/errors.ts) and is retried by its caller.
 */
export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Database & { pool: pg.Pool }> {
  const max = opts.max ?? 10;
  const parsed = /^postgres(?:ql)?:\/\//i.test(url) ? parseDatabaseUrl(url) : undefined;
  const attrs = parsed?.targetSessionAttrs ?? 'any';
  // One host and no target_session_attrs: pg's own connection, exactly as before.
  const resolver = parsed && (parsed.hosts.length > 1 || attrs !== 'any') ? new HostResolver(parsed.hosts, attrs) : undefined;
  const pool = new pg.Pool({
    connectionString: resolver ? parsed!.hosts[0]!.url : url,
    max,
    types,
    // Every server of the list may be probed before a connection is made (PROBE_TIMEOUT_MS each, at once).
    ...(resolver ? { Client: failoverClient(resolver, attrs), connectionTimeoutMillis: 2 * PROBE_TIMEOUT_MS + 5000 } : {}),
  });
  // An idle connection the server ends (a restart, pg_terminate_backend, a failover) is an
  // 'error' on the pool; unhandled it would end the whole process. The pool has already
  // discarded that connection and the next query opens a new one, so it is only reported.
  pool.on('error', (err) => process.emitWarning(`An idle PostgreSQL connection was closed by the server: ${err.message}`, 'DatabaseConnectionWarning'));
  // pool.end() resolves before the connections it closes have gone; close() waits for them,
  // so whoever drops or stops the database next does not cut them mid-close.
  const open = new Set<pg.Client>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
    // A connection in use (checked out for a transaction) that the server ends emits 'error' on
    // the client, where the pool listens only while it idles: unhandled, that would end the
    // process when the primary dies mid-transaction. The statement running or queued gets the
    // error itself, the next ones "not queryable" (transient), and the pool drops the connection
    // when it is released.
    client.on('error', () => {});
  });
  // Fail fast with a clear message when the server cannot be reached.
  const probe = await pool.connect();
  probe.release();
  // A write refused as read-only (25006): the server we chose is a standby now, or was fenced
  // read-only; the next new connection chooses again.
  const readOnly = resolver ? (err: unknown) => (isReadOnlyError(err) ? resolver.lost() : undefined) : undefined;
  const base = wrap(pool, readOnly);
  return {
    kind: 'postgres',
    concurrency: max,
    pool,
    ...base,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async transaction(fn) {
      const client = await pool.connect();
      let dropped: unknown;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client, readOnly));
        // The answer (a 202, an extract) waits for this: with synchronous_commit on and a
        // synchronous standby, COMMIT returns once the standby has the transaction too.
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        readOnly?.(err);
        // A connection to a read-only server is of no further use to a register that writes.
        if (isReadOnlyError(err)) dropped = err;
        throw err;
      } finally {
        client.release(dropped as Error | undefined);
      }
    },
    async close() {
      const closing = [...open].map((client) => new Promise((resolve) => client.once('end', resolve)));
      await pool.end();
      await Promise.all(closing);
    },
  };
}
