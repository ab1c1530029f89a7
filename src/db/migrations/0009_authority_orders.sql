-- Authorities' data orders and their deliveries (authorities-and-bans.md, issue 11).

-- An order as placed: one-off or recurring; its type's parameters as validated (src/authority/orders.ts).
CREATE TABLE authority_orders (
  id               uuid PRIMARY KEY,
  organisation_id  bigint NOT NULL REFERENCES organisations(id),
  order_type       text NOT NULL CHECK (order_type IN ('PersonLoans', 'LoanStockSnapshot', 'MonthlyAggregates', 'LateReporting')),
  parameters       jsonb NOT NULL,
  legal_basis      text,
  case_reference   text,
  recurrence       text NOT NULL CHECK (recurrence IN ('Once', 'Daily', 'Monthly')),
  -- A recurring order's next period to produce (a day yyyy-mm-dd, or a month's first day).
  next_period      date,
  state            text NOT NULL DEFAULT 'Active' CHECK (state IN ('Active', 'Cancelled')),
  placed_at        timestamptz NOT NULL DEFAULT now(),
  cancelled_at     timestamptz,
  cancelled_by     text
);
CREATE INDEX authority_orders_organisation ON authority_orders (organisation_id, placed_at);
CREATE INDEX authority_orders_due ON authority_orders (next_period) WHERE state = 'Active' AND recurrence <> 'Once';

-- One delivery per order and period: the unique key is what makes a period produced once,
-- whichever process schedules it and however often.
CREATE TABLE data_deliveries (
  id              uuid PRIMARY KEY,
  order_id        uuid NOT NULL REFERENCES authority_orders(id),
  period_start    date NOT NULL,
  period_end      date NOT NULL,
  status          text NOT NULL DEFAULT 'Pending' CHECK (status IN ('Pending', 'InProgress', 'Ready', 'Failed', 'Expired')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  ready_at        timestamptz,
  expires_at      timestamptz,
  row_count       bigint,
  page_count      integer,
  content_sha256  text,
  failure         text,
  attempts        integer NOT NULL DEFAULT 0,
  UNIQUE (order_id, period_start)
);
CREATE INDEX data_deliveries_pending ON data_deliveries (created_at) WHERE status IN ('Pending', 'InProgress');
CREATE INDEX data_deliveries_expiry ON data_deliveries (expires_at) WHERE status = 'Ready';

-- The content, as NDJSON (or CSV) lines, produced by SQL inside the database and read back a page at a time.
CREATE TABLE data_delivery_lines (
  delivery_id  uuid NOT NULL REFERENCES data_deliveries(id) ON DELETE CASCADE,
  line_no      bigint NOT NULL,
  line         text NOT NULL,
  PRIMARY KEY (delivery_id, line_no)
);

-- Every download, like the disclosure log of extracts: who, when, which order and page, the
-- order's legal basis and case reference, the rows sent and the delivery's content hash.
CREATE TABLE data_delivery_log (
  id               bigserial PRIMARY KEY,
  organisation_id  bigint NOT NULL,
  order_id         uuid NOT NULL,
  delivery_id      uuid NOT NULL,
  page             integer NOT NULL,
  rows_sent        integer NOT NULL,
  legal_basis      text,
  case_reference   text,
  content_sha256   text,
  downloaded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_delivery_log_order ON data_delivery_log (order_id, downloaded_at);

-- PersonLoans disclosures are shown to the person like extracts: who, when, on which basis.
CREATE TABLE authority_disclosures (
  delivery_id      uuid PRIMARY KEY,
  organisation_id  bigint NOT NULL,
  person           text NOT NULL,
  legal_basis      text NOT NULL,
  case_reference   text NOT NULL,
  disclosed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authority_disclosures_person ON authority_disclosures (person, disclosed_at);
