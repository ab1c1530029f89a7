-- The voluntary ban for credit information companies (authorities-and-bans.md, issue 10):
-- the person's consent, independent of the ban, and the change feed the companies page through.

-- Consent is the person's own, given and withdrawn apart from the ban (a person may consent
-- before setting a ban); its history is in voluntary_ban_changes (ConsentGiven / ConsentWithdrawn).
ALTER TABLE persons ADD COLUMN ban_consent boolean NOT NULL DEFAULT false;
INSERT INTO persons (person, ban_consent)
  SELECT person, true FROM voluntary_bans WHERE consent_to_share
  ON CONFLICT (person) DO UPDATE SET ban_consent = true;
ALTER TABLE voluntary_bans DROP COLUMN consent_to_share;
-- Every change of a person's ban locks their persons row first (src/bans/store.ts).
INSERT INTO persons (person) SELECT person FROM voluntary_bans ON CONFLICT (person) DO NOTHING;
CREATE INDEX voluntary_bans_end_date ON voluntary_bans (end_date) WHERE end_date IS NOT NULL;

-- A fixed-term ban that ends by itself is recorded as 'Ended' (by the register).
ALTER TABLE voluntary_ban_changes DROP CONSTRAINT voluntary_ban_changes_change_check;
ALTER TABLE voluntary_ban_changes ADD CONSTRAINT voluntary_ban_changes_change_check
  CHECK (change IN ('Set', 'Changed', 'Removed', 'Ended', 'ConsentGiven', 'ConsentWithdrawn'));
CREATE INDEX voluntary_ban_changes_person ON voluntary_ban_changes (person, id);

-- The feed: every change a credit information company may see, written in the transaction of
-- the change. Its order is (pos, id). pos is the writing transaction's id (xid8), raised to the
-- person's previous pos when that is higher, so that a person's changes keep their commit order.
-- A reader delivers only rows with pos below the oldest transaction still running
-- (pg_snapshot_xmin): those are all committed and no later row can sort before them, so paging
-- by (pos, id) never skips and never repeats (src/bans/feed.ts).
CREATE TABLE ban_feed (
  id           bigserial PRIMARY KEY,
  pos          xid8 NOT NULL,
  person       text NOT NULL,
  change       text NOT NULL CHECK (change IN ('Set', 'Changed', 'Removed', 'ConsentWithdrawn')),
  reason       text,
  start_date   date,
  end_date     date,
  change_time  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ban_feed_order ON ban_feed (pos, id);
CREATE INDEX ban_feed_person ON ban_feed (person, id);

-- The person's latest feed row: where a resync finds a consented ban's state and its position.
ALTER TABLE persons ADD COLUMN ban_feed_id bigint REFERENCES ban_feed(id);
CREATE INDEX persons_ban_consent ON persons (person) WHERE ban_consent;

-- Bans consented before this migration start the feed as Set.
WITH f AS (
  INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date, change_time)
  SELECT pg_current_xact_id(), b.person, 'Set', b.reason, b.start_date, b.end_date, b.set_at
  FROM voluntary_bans b JOIN persons p USING (person) WHERE p.ban_consent
  ORDER BY b.person
  RETURNING id, person
)
UPDATE persons p SET ban_feed_id = f.id FROM f WHERE f.person = p.person;

-- Every delivery to a company, like the disclosure log of extracts: which company received
-- which person's change (the feed row), when, and whether as part of a resync.
-- No foreign keys: checking them was 8 of the ~21 ms PostgreSQL spends on a page of 1 000
-- (bench/ban-feed.ts), and neither can fail: feed rows are never deleted (append-only) and the
-- organisation is the authenticated caller.
CREATE TABLE ban_deliveries (
  organisation_id  bigint NOT NULL,
  person           text NOT NULL,
  feed_id          bigint NOT NULL,
  resync           boolean NOT NULL,
  delivered_at     timestamptz NOT NULL
);
CREATE INDEX ban_deliveries_person ON ban_deliveries (person, delivered_at);
CREATE INDEX ban_deliveries_organisation ON ban_deliveries (organisation_id, delivered_at);

-- The feed, the ban history and the delivery log are append-only.
CREATE FUNCTION ban_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER ban_feed_append_only BEFORE UPDATE OR DELETE ON ban_feed
  FOR EACH ROW EXECUTE FUNCTION ban_records_append_only();
CREATE TRIGGER voluntary_ban_changes_append_only BEFORE UPDATE OR DELETE ON voluntary_ban_changes
  FOR EACH ROW EXECUTE FUNCTION ban_records_append_only();
CREATE TRIGGER ban_deliveries_append_only BEFORE UPDATE OR DELETE ON ban_deliveries
  FOR EACH ROW EXECUTE FUNCTION ban_records_append_only();
