-- A loan's contract is kept packed (src/reporting/packed-contract.ts): the database never looks
-- inside it, and as jsonb it made the loans table, which every extract reads, larger than memory at
-- national scale. Existing contracts become format 0 (plain JSON text); `pcr loans pack` packs them.
ALTER TABLE loans ALTER COLUMN contract TYPE bytea USING decode('00', 'hex') || convert_to(contract::text, 'UTF8');
