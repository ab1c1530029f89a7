-- A LoanStockSnapshot delivered with identity codes (not pseudonyms) discloses every person on
-- a loan in it: each of them sees the delivery in the e-service's "Who has asked", next to the
-- PersonLoans deliveries of authority_disclosures (src/authority/store.ts disclosuresAbout).
-- Written by the snapshot's page statements themselves (src/authority/snapshot.ts), from the
-- very rows each page holds: one row per person and delivery. A row counts once its delivery
-- is Ready (or Expired: it was delivered); a failed or retried production deletes what it
-- wrote. disclosed_at is the delivery's ready_at (the production's time, given to every page).
CREATE TABLE authority_snapshot_disclosures (
  delivery_id   uuid NOT NULL,
  person        text NOT NULL,
  disclosed_at  timestamptz NOT NULL
);
-- The person's list, newest first (a range read, as for authority_disclosures); unique, so that
-- a person on loans in several pages of one snapshot is recorded once (ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX authority_snapshot_disclosures_person ON authority_snapshot_disclosures (person, disclosed_at, delivery_id);
-- A delivery's rows (one key per delivery: compact), deleted with a failed or retried
-- production, and by the retention eraser (which finds old deliveries by their ready_at).
CREATE INDEX authority_snapshot_disclosures_delivery ON authority_snapshot_disclosures (delivery_id);
