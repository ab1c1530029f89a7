-- A batch that could not be read when processed ends FinishedFailed with the reason here
-- (GetBatchStatus answers it as the batch's errorResponses).
ALTER TABLE batches ADD COLUMN errors jsonb;
-- The worker's claim: the oldest waiting batch that is first in its lender's line.
CREATE INDEX batches_waiting_by_lender ON batches (organisation_id, id) WHERE status = 'Received';
