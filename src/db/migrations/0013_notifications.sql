-- Delivering the notification outbox (src/notifications/): an external id per row (the message's
-- idempotency key at the delivery service), the row's state, its attempts and back-off, the lease
-- of the process sending it, and why the last attempt failed (never naming the person).
--
-- States: Pending (waiting for its day, due, or retrying), Sent, Skipped (the person switched
-- notifications off, or died, before it was sent), GaveUp (failed for good or too often; the
-- operator can put it back with `pcr notifications retry`).
-- Rows of older versions stay valid: each gets its own id, and a row delivered already is Sent.
ALTER TABLE notification_outbox
  ADD COLUMN id               uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN state            text NOT NULL DEFAULT 'Pending' CHECK (state IN ('Pending', 'Sent', 'Skipped', 'GaveUp')),
  ADD COLUMN attempts         integer NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at  timestamptz,
  -- The process sending the row holds it until then (a lease: a crash leaves it to be taken again).
  ADD COLUMN claimed_until    timestamptz,
  ADD COLUMN claim            uuid,
  ADD COLUMN last_error       text,
  -- When it was skipped or given up (delivered_at is when it was sent), and why it was skipped.
  ADD COLUMN ended_at         timestamptz,
  ADD COLUMN skip_reason      text CHECK (skip_reason IN ('NotificationsOff', 'Deceased')),
  -- How many extracts the message that was sent told of.
  ADD COLUMN notified_count   integer;

UPDATE notification_outbox SET state = 'Sent', notified_count = extract_count WHERE delivered_at IS NOT NULL;

ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_id UNIQUE (id);

DROP INDEX notification_outbox_due;
CREATE INDEX notification_outbox_pending ON notification_outbox (notify_on, person) WHERE state = 'Pending';
-- "Was this person sent a message today?" and the operator's list of rows given up.
CREATE INDEX notification_outbox_sent ON notification_outbox (person, delivered_at) WHERE state = 'Sent';
CREATE INDEX notification_outbox_gave_up ON notification_outbox (ended_at) WHERE state = 'GaveUp';
