-- Retention and erasure (src/retention/; docs/retention.md): ended loans, the disclosure logs
-- and the received batches are erased after their configured periods, in bounded batches by a
-- background job, and each pass is recorded here as counts (never what was erased).

CREATE TABLE erasure_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  -- What was erased: 'ended loans', 'extracts', 'authority disclosures', 'ban deliveries',
  -- 'delivery downloads', 'notifications', 'batches'.
  kind      text NOT NULL,
  -- Everything of this kind older than this moment was due (the period's start, as the job's clock saw it).
  horizon   timestamptz NOT NULL,
  erased    integer NOT NULL CHECK (erased > 0)
);
CREATE INDEX erasure_log_at ON erasure_log (at);

-- The candidates for erasure: loans no longer active, by the day they ended (a cancelled loan,
-- which never existed, has no end date: its contract date counts).
CREATE INDEX loans_closed ON loans ((coalesce(end_date, contract_date)), id) WHERE status <> 'Active';

-- Old batches in the order received (the primary key is that order too, but a batch's age is its time).
CREATE INDEX batches_received ON batches (received_at);

-- The ban's delivery log is append-only, except for erasure after its period: the retention job
-- sets pcr.erasure for its own transaction only (SET LOCAL), and only DELETE is let through.
CREATE OR REPLACE FUNCTION ban_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'ban_deliveries' AND current_setting('pcr.erasure', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

-- Finished notifications by the time they finished (sent, skipped or given up).
CREATE INDEX notification_outbox_finished ON notification_outbox ((coalesce(delivered_at, ended_at))) WHERE state <> 'Pending';
