/**
 * Where every table of the register would live in a distributed PostgreSQL (Citus, or another
 * engine with Citus's rules): the plan of docs/sharding.md, as data, so that
 * test/db/sharding-plan.test.ts can hold the live schema to it. A table added without a decision
 * here fails that test by name; so does a key that stops including its distribution column, or an
 * exception recorded here that the schema no longer needs.
 *
 * Citus's rules the test checks, for a table distributed by column c:
 * - its primary key and every unique index include c as a plain column (a shard can enforce a
 *   uniqueness only over rows it holds);
 * - a foreign key to another distributed table joins c to that table's distribution column, and
 *   the two tables are co-located (same group, same column type);
 * - a foreign key to a reference table is always fine; one between a distributed and a
 *   coordinator-local table, in either direction, is not supported.
 * Where today's schema breaks a rule, the plan records the exception, why it is there, and the
 * change that removes it (made when the register moves to a distributed engine, not before:
 * on one server the extra key columns cost index size and buy nothing).
 */

/** Co-location groups: tables of a group are hash-distributed by columns of one type and shard together. */
export type ColocationGroup = 'person' | 'loan' | 'batch';

export interface PlanException {
  /** A unique index or constraint (its index's name) or a foreign key constraint, by name. */
  constraint: string;
  why: string;
  /** The schema change that removes the exception when the register is distributed. */
  fix: string;
}

export type TablePlacement =
  | {
      kind: 'distributed';
      /** The distribution column (hash-distributed). */
      column: string;
      group: ColocationGroup;
      why: string;
      exceptions?: PlanException[];
      /** Why the table has no primary key (allowed by Citus; the test asks for the reason). */
      withoutPrimaryKey?: string;
    }
  | {
      /** Small, read everywhere, changed rarely: a full copy on every node (create_reference_table). */
      kind: 'reference';
      why: string;
      exceptions?: PlanException[];
    }
  | {
      /** Stays on the coordinator only (a queue, a log, a global order, or too small to matter). */
      kind: 'local';
      why: string;
      exceptions?: PlanException[];
    };

export const SHARDING_PLAN: Readonly<Record<string, TablePlacement>> = {
  // ---- reference: configuration and the access area, read on every request, changed by the operator
  register_settings: { kind: 'reference', why: 'A dozen keys (environment, CA fingerprint, the ban feed cursor key, history start) read by every node.' },
  organisations: { kind: 'reference', why: 'Thousands of rows; joined to loans, extracts, batches and deliveries on every node.' },
  data_permissions: { kind: 'reference', why: 'A few rows per organisation; read by the access policy of every request.' },
  certificates: { kind: 'reference', why: "A few per organisation; the trust cache reads it on a TLS handshake's first request." },
  certificate_orders: { kind: 'reference', why: 'A few per organisation, short-lived; references organisations and is joined to certificates.' },

  // ---- the person group: everything an extract, the e-service or a ban change reads of one person
  persons: {
    kind: 'distributed', column: 'person', group: 'person',
    why: 'One row per person the register knows beyond loans; every ban change locks it first.',
    exceptions: [{
      constraint: 'persons_ban_feed_id_fkey',
      why: 'The ban feed stays on the coordinator (its order is one server\'s transaction ids); a distributed table cannot reference a local one.',
      fix: 'Drop the foreign key (ban_feed is append-only: the row it names is never deleted).',
    }],
  },
  income_months: { kind: 'distributed', column: 'person', group: 'person', why: 'Per person and month; read only by the extract of that person.' },
  voluntary_bans: { kind: 'distributed', column: 'person', group: 'person', why: 'One per person; read by the extract and the e-service of that person.' },
  voluntary_ban_changes: {
    kind: 'distributed', column: 'person', group: 'person',
    why: "A person's ban history, read by person (the e-service, pcr ban show).",
    exceptions: [{
      constraint: 'voluntary_ban_changes_pkey',
      why: 'The primary key is the bigserial id alone; nothing looks a change up by id.',
      fix: 'ALTER TABLE voluntary_ban_changes DROP CONSTRAINT voluntary_ban_changes_pkey, ADD PRIMARY KEY (person, id)',
    }],
  },
  loan_parties: {
    kind: 'distributed', column: 'person', group: 'person',
    why: "The extract's entry point: which loans concern a person. Co-located with the person, not with the loan (see docs/sharding.md, loans with several borrowers).",
    exceptions: [{
      constraint: 'loan_parties_loan_id_fkey',
      why: 'A party row lives on its person\'s shard, the loan on its own: a foreign key across groups cannot be enforced by a shard.',
      fix: 'Drop the foreign key and its ON DELETE CASCADE: the reporting processor already replaces a loan\'s parties itself, and erasure deletes the parties by loan id before the loan.',
    }],
  },
  extracts: {
    kind: 'distributed', column: 'person', group: 'person',
    why: 'The disclosure log, the fastest-growing table (one row per extract), written in the extract\'s transaction and read by person in the e-service.',
    exceptions: [{
      constraint: 'extracts_pkey',
      why: 'The primary key is the extract reference alone; every read already names the person too (extractsAbout, extractContentFor).',
      fix: 'ALTER TABLE extracts DROP CONSTRAINT extracts_pkey, ADD PRIMARY KEY (person, extract_reference)',
    }],
  },
  notification_outbox: {
    kind: 'distributed', column: 'person', group: 'person',
    why: "Written in the extract's transaction (at most one row per person and day): co-located, the extract stays on one shard.",
    exceptions: [{
      constraint: 'notification_outbox_id',
      why: 'The external id (the message\'s idempotency key) is unique by itself; `pcr notifications retry --id` looks it up without the person.',
      fix: 'Replace the constraint by a plain index on id (gen_random_uuid makes collisions negligible) or by UNIQUE (person, id). The delivery job\'s claim (FOR UPDATE SKIP LOCKED over all persons) must then claim shard by shard: see docs/sharding.md.',
    }],
  },
  authority_snapshot_disclosures: {
    kind: 'distributed', column: 'person', group: 'person',
    why: 'One row per person and LoanStockSnapshot delivered with identity codes (a national one: millions of rows), written by its pages, read by person in the e-service.',
    withoutPrimaryKey: 'Its key is the unique index authority_snapshot_disclosures_person (person, disclosed_at, delivery_id), which includes the distribution column.',
  },
  ban_deliveries: {
    kind: 'distributed', column: 'person', group: 'person',
    why: 'Every delivery of a ban change to a company (a resync delivers every consented ban): grows with persons times companies; the person reads theirs in the e-service.',
    withoutPrimaryKey: 'An append-only log, read by person or organisation and time; no row is ever looked up by itself.',
  },

  // ---- the loan group: a loan, its payments and its history, one copy each, by loan id
  loans: {
    kind: 'distributed', column: 'id', group: 'loan',
    why: "The current state of each loan, once, on the shard of its id; the extract reaches it from loan_parties by id (a pruned lookup), reporting by the lender's loan number.",
    exceptions: [{
      constraint: 'loans_lender_id_loan_number_key',
      why: "A lender's loan number is unique per lender, but the loan is placed by its id.",
      fix: 'A lookup table loan_numbers (loan_number text, lender_id bigint, loan_id bigint, PRIMARY KEY (loan_number, lender_id)) distributed by loan_number, written with the loan; the processor finds loans through it (loan_number = ANY(...) prunes to the shards of those numbers) and the UNIQUE constraint on loans is dropped.',
    }],
  },
  payments: { kind: 'distributed', column: 'loan_id', group: 'loan', why: "A loan's payment transactions: read and written with their loan." },
  loan_versions: {
    kind: 'distributed', column: 'loan_id', group: 'loan',
    why: "Every state a loan had (issue 11): appended with the loan's change; snapshots and aggregates scan all shards in parallel.",
    withoutPrimaryKey: 'Its key is the unique index loan_versions_key (loan_id, known_from DESC), which includes the distribution column.',
  },

  // ---- the batch group: what lenders sent, and each report's outcome
  batches: {
    kind: 'distributed', column: 'id', group: 'batch',
    why: "Each batch's body (up to 128 MiB) and status: grows with reporting over time; placed by id so a big lender's batches spread over the shards.",
    exceptions: [{
      constraint: 'batches_organisation_id_batch_reference_key',
      why: "A batch reference is unique per lender (the idempotency of a resent batch), but the batch is placed by its id.",
      fix: 'A lookup table batch_references (organisation_id, batch_reference, batch_id, PRIMARY KEY (organisation_id, batch_reference)) distributed by organisation_id, written with the batch. The worker\'s claim (the oldest waiting batch first in its lender\'s line, FOR UPDATE SKIP LOCKED) reads a coordinator-local queue of waiting batch ids instead of scanning the shards.',
    }],
  },
  reports: {
    kind: 'distributed', column: 'batch_id', group: 'batch',
    why: "Every report's outcome (billions over years), read by batch (GetBatchStatus): co-located with its batch, the cascade of a batch's deletion stays on one shard.",
  },

  // ---- coordinator-local: queues, logs, global orders, the authority area, the e-service's sessions
  schema_migrations: { kind: 'local', why: 'What DDL ran; the coordinator runs migrations and propagates the DDL.' },
  operator_audit: {
    kind: 'local',
    why: 'Operator and person actions (thousands a day at most), append-only by a trigger; written in the transaction of the change it records, which then commits on the coordinator and the shard together (two-phase commit).',
  },
  batch_refusals: { kind: 'local', why: 'The latest refusal per batch reference: few rows (refusals are rare), looked up by lender and reference.' },
  ban_feed: {
    kind: 'local',
    why: "Its order is (pos, id) with pos a transaction id of ONE server, and a reader delivers only rows below that server's oldest running transaction (src/bans/feed.ts). Distributed, each node has its own transaction ids and the proof that the feed never skips nor repeats fails. Volume: ban changes, not persons times time.",
  },
  authority_orders: { kind: 'local', why: 'A few hundred orders; scheduled by the coordinator.' },
  data_deliveries: { kind: 'local', why: 'One row per order and period (a queue of production): claimed by the job runner.' },
  data_delivery_lines: { kind: 'local', why: 'The producers\' working table, emptied in the producing transaction (INSERT … SELECT from distributed tables runs through the coordinator).' },
  data_delivery_pages: { kind: 'local', why: "Deliveries' content (a national snapshot is ~1 GB compressed), bounded by their expiry; served a page at a time." },
  data_delivery_log: { kind: 'local', why: 'The log of downloads: one row per page downloaded by an authority.' },
  authority_disclosures: { kind: 'local', why: 'One row per PersonLoans delivery (authority requests about one person are rare); the e-service reads it by person with its own query.' },
  eservice_sessions: {
    kind: 'local',
    why: "A row per session, looked up by token hash. Bounded by the retention job (src/retention/erasure.ts), not by logouts: a session is deleted at logout or when its token comes back idled out, and the job erases every session idle longer than a session may, so the table holds the sessions of persons active within the idle time (and the job's rest), never a row per person who ever logged in.",
  },
  eservice_logins: { kind: 'local', why: 'Logins under way: taken within 10 minutes, and erased by the retention job once older (abandoned ones too).' },
  test_idp_payloads: { kind: 'local', why: "The Test environment's own identity provider only; its expired rows are erased by the retention job." },
  erasure_log: { kind: 'local', why: "Counts of the retention job's passes: a row per kind a pass erased, a few dozen an hour once it has caught up (it then rests between passes)." },
  batch_erasure_rechecks: {
    kind: 'local',
    why: "The retention job's queue of batches to look at again once one of their loans is erased (docs/retention.md): emptied as it is read, a pass's worth at a time.",
  },
};

/**
 * The Citus statements of the plan, in an order Citus accepts (reference tables first, then each
 * group's first table, then the tables co-located with it). For docs/sharding.md; run after the
 * exceptions' fixes, on a coordinator with the schema migrated.
 */
export function citusStatements(plan: Readonly<Record<string, TablePlacement>> = SHARDING_PLAN): string[] {
  const out: string[] = [];
  const entries = Object.entries(plan);
  for (const [table, p] of entries) if (p.kind === 'reference') out.push(`SELECT create_reference_table('${table}');`);
  for (const [table, p] of entries) if (p.kind === 'local') out.push(`SELECT citus_add_local_table_to_metadata('${table}');`);
  const first = new Map<ColocationGroup, string>();
  for (const [table, p] of entries) {
    if (p.kind !== 'distributed') continue;
    const lead = first.get(p.group);
    if (!lead) first.set(p.group, table);
    out.push(`SELECT create_distributed_table('${table}', '${p.column}'${lead ? `, colocate_with => '${lead}'` : ''});`);
  }
  return out;
}
