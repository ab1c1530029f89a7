-- Reporting: batches as received, every report kept append-only, the loans' current state derived from them.

CREATE TABLE batches (
  id               bigserial PRIMARY KEY,
  organisation_id  bigint NOT NULL REFERENCES organisations(id),
  operation        text NOT NULL,
  batch_reference  text NOT NULL,
  body_hash        text NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  status           text NOT NULL DEFAULT 'Received',
  report_count     integer NOT NULL,
  -- The request body exactly as it came: the record of every report in it (reports.seq indexes its array).
  body             text NOT NULL,
  accepted_count   integer,
  rejected_count   integer,
  processed_at     timestamptz,
  UNIQUE (organisation_id, batch_reference)
);
CREATE INDEX batches_waiting ON batches (id) WHERE status = 'Received';

-- Batches refused at the door: remembered by reference, time and errors, not content. The latest per reference.
CREATE TABLE batch_refusals (
  organisation_id  bigint NOT NULL REFERENCES organisations(id),
  batch_reference  text NOT NULL,
  operation        text NOT NULL,
  refused_at       timestamptz NOT NULL DEFAULT now(),
  errors           jsonb NOT NULL,
  PRIMARY KEY (organisation_id, batch_reference)
);

-- Every report's outcome, written once when its batch is processed; the report itself is element
-- `seq` of its batch's body.
CREATE TABLE reports (
  batch_id         bigint NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  seq              integer NOT NULL,
  report_reference text,
  loan_number      text,
  status           text NOT NULL CHECK (status IN ('accepted', 'rejected')),
  report_type      text,
  loan_id          bigint,
  event_date       date,
  errors           jsonb,
  PRIMARY KEY (batch_id, seq)
);
CREATE INDEX reports_loan ON reports (loan_id, batch_id) WHERE loan_id IS NOT NULL;

-- The current state of each loan, derived from its accepted reports.
CREATE TABLE loans (
  id                             bigserial PRIMARY KEY,
  lender_id                      bigint NOT NULL REFERENCES organisations(id),
  loan_number_type               text NOT NULL,
  loan_number                    text NOT NULL,
  loan_type                      text NOT NULL,
  currency_code                  text NOT NULL,
  contract_date                  date NOT NULL,
  status                         text NOT NULL CHECK (status IN ('Active', 'Ended', 'Cancelled')),
  end_date                       date,
  transferred_to_another_lender  boolean NOT NULL DEFAULT false,
  contract                       jsonb NOT NULL,
  delays                         jsonb NOT NULL DEFAULT '{"delayedAmounts": [], "isForeclosed": false}'::jsonb,
  UNIQUE (lender_id, loan_number)
);
CREATE INDEX loans_number ON loans (loan_number);

-- Who a loan concerns: its borrowers and guarantors (identity codes in upper case).
CREATE TABLE loan_parties (
  person   text NOT NULL,
  loan_id  bigint NOT NULL REFERENCES loans(id) ON DELETE CASCADE,
  role     text NOT NULL CHECK (role IN ('borrower', 'guarantor')),
  PRIMARY KEY (person, loan_id, role)
);
CREATE INDEX loan_parties_loan ON loan_parties (loan_id);

-- Payment transactions, one per loan and payment date (a later report for the same date replaces it).
-- The loan's latest payment is the one with the latest date (read through the primary key).
CREATE TABLE payments (
  loan_id       bigint NOT NULL REFERENCES loans(id) ON DELETE CASCADE,
  payment_date  date NOT NULL,
  data          jsonb NOT NULL,
  PRIMARY KEY (loan_id, payment_date)
);
