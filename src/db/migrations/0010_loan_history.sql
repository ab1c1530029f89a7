-- Loan states over time, as the register knew them (issue 11: LoanStockSnapshot, MonthlyAggregates).
-- Every transaction that changes a loan, or its latest payment, appends the loan's resulting state,
-- known from the transaction's start (now()). The state the register knew at a moment T is, per
-- loan, the version with the latest known_from before T. Nothing here is ever updated after its
-- transaction, so a past day's snapshot cannot change (src/reporting/history.ts).
-- Unpacked, unlike loans.contract: the database itself aggregates and writes deliveries from it.
CREATE TABLE loan_versions (
  -- No foreign key: its check per row was a tenth of a batch of repayments' time; versions go
  -- with their loan by erasure (retention), which deletes both.
  loan_id             bigint NOT NULL,
  known_from          timestamptz NOT NULL,
  lender_id           bigint NOT NULL,
  loan_number_type    text NOT NULL,
  loan_number         text NOT NULL,
  loan_type           text NOT NULL,
  currency_code       text NOT NULL,
  contract_date       date NOT NULL,
  status              text NOT NULL,
  end_date            date,
  transferred         boolean NOT NULL,
  consumer_class      text NOT NULL,
  purpose_of_use      text,
  -- Lump-sum loan: amountIssued; leasing: transactionPrice. Running account: credit_limit.
  amount_issued       numeric,
  credit_limit        numeric,
  monthly_instalment  numeric,
  -- The latest payment's balance (and its date) where one is reported, else the contract's.
  balance             numeric,
  balance_date        date,
  -- Open delays: their sum, the oldest original due date, foreclosure.
  delayed_amount      numeric,
  oldest_due_date     date,
  is_foreclosed       boolean NOT NULL,
  borrowers           text[] NOT NULL,
  guarantors          text[] NOT NULL
);
-- Each loan's versions newest first: the latest known before a moment is the first one the index
-- gives after it, and a whole snapshot reads the index in order without sorting (history.ts KNOWN_AT).
CREATE UNIQUE INDEX loan_versions_key ON loan_versions (loan_id, known_from DESC);

-- From when the history is complete. A register without loans knew none before: its history is
-- complete from the register's first date on. Loans that existed before this migration get their
-- first version from a background backfill (history.ts); until it ends, no snapshot can be made,
-- and then the history is complete from the backfill's end.
INSERT INTO register_settings (key, value)
SELECT 'loan_history_start', CASE WHEN EXISTS (SELECT 1 FROM loans) THEN 'backfill from 0' ELSE '1900-01-01T00:00:00.000000Z' END;

-- A delivery read from the register's knowledge at the end of a Finnish day (orders.ts
-- knowledgeDay) is produced only once that knowledge is final (history.ts knowledgeSettled).
ALTER TABLE data_deliveries ADD COLUMN knowledge_day date;

-- A national snapshot writes 12.5 M lines: the foreign key's check per line was a fifth of its
-- production. Lines are written by their delivery's producer and deleted with its expiry (store.ts).
ALTER TABLE data_delivery_lines DROP CONSTRAINT data_delivery_lines_delivery_id_fkey;
