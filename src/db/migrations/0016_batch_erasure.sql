-- Batches are erased only when their period has passed AND none of the loans their reports
-- concern is still in the register (src/retention/erasure.ts; docs/retention.md): the register
-- must be able to show what a lender reported about an active loan, however old the report.
--
-- So that no pass walks the batches kept for their loans again and again (after years, most old
-- batches are kept), erasure looks at each batch once when its period has passed, in id order
-- from a cursor, and again only when one of its loans is erased: the loans' erasure queues their
-- batches here. No foreign key: a queued batch may be gone by the time it is looked at.
CREATE TABLE batch_erasure_rechecks (
  batch_id  bigint PRIMARY KEY
);

-- The last batch id the erasure has looked at once its period had passed (a batch with a
-- smaller id is erased already, or kept for a loan and queued above when that loan goes).
INSERT INTO register_settings (key, value) VALUES ('retention_batches_swept', '0') ON CONFLICT (key) DO NOTHING;
