-- The operator audit trail (migration 0001's operator_audit, never written until now): who
-- changed what, the state before and after, and when. Each entry is written in the
-- transaction of the change it records, so the trail and the state never disagree.
-- Rows from before this migration keep their action, time and details; their actor is 'unknown'.
ALTER TABLE operator_audit
  ADD COLUMN actor text NOT NULL DEFAULT 'unknown',
  ADD COLUMN target text,
  ADD COLUMN before jsonb,
  ADD COLUMN after jsonb,
  -- A bulk command (income import, loans pack) commits in chunks: its one entry is written with
  -- the first chunk and its counts brought up to date with each later one; false once it ended.
  ADD COLUMN in_progress boolean NOT NULL DEFAULT false;
ALTER TABLE operator_audit ALTER COLUMN actor DROP DEFAULT;
CREATE INDEX operator_audit_at ON operator_audit (at);
CREATE INDEX operator_audit_target ON operator_audit (target);

-- Append-only: no entry is deleted, and the only update is a bulk command's counts while it runs.
CREATE FUNCTION operator_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'operator_audit is append-only: entries are never deleted';
  END IF;
  IF NOT OLD.in_progress OR NEW.id <> OLD.id OR NEW.at <> OLD.at OR NEW.actor <> OLD.actor OR NEW.action <> OLD.action
     OR NEW.target IS DISTINCT FROM OLD.target OR NEW.before IS DISTINCT FROM OLD.before OR NEW.details <> OLD.details THEN
    RAISE EXCEPTION 'operator_audit is append-only: only a running bulk command updates its own counts';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER operator_audit_append_only BEFORE UPDATE OR DELETE ON operator_audit
  FOR EACH ROW EXECUTE FUNCTION operator_audit_append_only();
