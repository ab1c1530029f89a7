-- Extracts: income months, voluntary bans, what the register knows of a person, the disclosure log, notifications.

-- What the register knows of a person besides loans and income (identity codes in upper case).
CREATE TABLE persons (
  person             text PRIMARY KEY,
  date_of_death      date,
  notifications_off  boolean NOT NULL DEFAULT false
);

-- Monthly income summaries from the income feed; a later import of the same person and month replaces the earlier.
CREATE TABLE income_months (
  person                 text NOT NULL,
  year                   integer NOT NULL,
  month                  integer NOT NULL CHECK (month BETWEEN 1 AND 12),
  wages_gross_amount     numeric(15, 2) NOT NULL DEFAULT 0,
  wages_net_amount       numeric(15, 2) NOT NULL DEFAULT 0,
  benefits_gross_amount  numeric(15, 2) NOT NULL DEFAULT 0,
  benefits_net_amount    numeric(15, 2) NOT NULL DEFAULT 0,
  accuracy_denied        boolean NOT NULL DEFAULT false,
  source                 text NOT NULL,
  imported_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (person, year, month)
);

-- The voluntary ban on credits in force (one per person) and every change to it.
CREATE TABLE voluntary_bans (
  person            text PRIMARY KEY,
  reason            text NOT NULL CHECK (reason IN ('RiskOfIdentityTheft', 'ControlOfPersonalFinances', 'Other')),
  start_date        date NOT NULL,
  end_date          date,
  consent_to_share  boolean NOT NULL DEFAULT false,
  set_at            timestamptz NOT NULL DEFAULT now(),
  set_by            text NOT NULL,
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE TABLE voluntary_ban_changes (
  id          bigserial PRIMARY KEY,
  person      text NOT NULL,
  change      text NOT NULL CHECK (change IN ('Set', 'Changed', 'Removed', 'ConsentGiven', 'ConsentWithdrawn')),
  reason      text,
  start_date  date,
  end_date    date,
  changed_at  timestamptz NOT NULL DEFAULT now(),
  changed_by  text NOT NULL
);

-- The disclosure log: every extract, who received it, when, for which purposes, and exactly what was disclosed.
CREATE TABLE extracts (
  extract_reference  uuid PRIMARY KEY,
  organisation_id    bigint NOT NULL REFERENCES organisations(id),
  person             text NOT NULL,
  purposes           text[] NOT NULL,
  lender_reference   text,
  created_at         timestamptz NOT NULL,
  content            text NOT NULL
);
CREATE INDEX extracts_person ON extracts (person, created_at);
CREATE INDEX extracts_organisation ON extracts (organisation_id, created_at);

-- Notifications to persons of extracts about them: at most one per person per day, sent the day after.
CREATE TABLE notification_outbox (
  person         text NOT NULL,
  notify_on      date NOT NULL,
  extract_count  integer NOT NULL DEFAULT 1,
  delivered_at   timestamptz,
  PRIMARY KEY (person, notify_on)
);
CREATE INDEX notification_outbox_due ON notification_outbox (notify_on) WHERE delivered_at IS NULL;
