-- A delivery's content is kept as its pages (issue 11): one row per page of at most 10 000
-- lines (store.ts PAGE_LINES), the page's bytes as GetDataDelivery sends them. A national
-- snapshot is 1 250 pages instead of 12.5 M line rows: no per-line tuple, index entry or WAL
-- record, the page compressed by the server (lz4 where it has it: 6.5 GB of NDJSON take
-- about 1 GB), and a page is read and sent as one value.
--
-- No foreign key to data_deliveries, as for the lines before: a page is written by its
-- delivery's producer (possibly in a transaction of its own, several at a time) and deleted
-- with the delivery's failure or expiry (store.ts).
CREATE TABLE data_delivery_pages (
  delivery_id  uuid NOT NULL,
  page_no      integer NOT NULL,
  line_count   integer NOT NULL,
  body         bytea NOT NULL,
  PRIMARY KEY (delivery_id, page_no)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE data_delivery_pages ALTER COLUMN body SET COMPRESSION lz4;
  END IF;
END $$;

-- Deliveries made before keep their content, as pages.
INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body)
SELECT delivery_id, ((line_no - 1) / 10000 + 1)::integer, count(*)::integer, convert_to(string_agg(line || E'\n', '' ORDER BY line_no), 'UTF8')
FROM data_delivery_lines GROUP BY 1, 2;

-- data_delivery_lines stays as the producers' working table: those that write lines (all but
-- LoanStockSnapshot) write them there, and the producer turns them into pages in its
-- transaction. A database migrated while 0010 still added the foreign key loses it here too.
DELETE FROM data_delivery_lines;
ALTER TABLE data_delivery_lines DROP CONSTRAINT IF EXISTS data_delivery_lines_delivery_id_fkey;
