-- Foundation: the register's settings, organisations, data permissions, certificates.

CREATE TABLE register_settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE organisations (
  id            bigserial PRIMARY KEY,
  id_code_type  text NOT NULL CHECK (id_code_type IN ('BusinessId', 'ForeignBusinessId')),
  id_code       text NOT NULL,
  country_code  text NOT NULL DEFAULT 'FI',
  name          text NOT NULL,
  roles         text[] NOT NULL,
  contact       jsonb NOT NULL DEFAULT '{}'::jsonb,
  state         text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id_code_type, country_code, id_code)
);

CREATE TABLE data_permissions (
  organisation_id bigint NOT NULL REFERENCES organisations(id),
  permission      text NOT NULL CHECK (permission IN ('reporting', 'extract', 'authority', 'ban-distribution', 'income-feed')),
  -- extract: which purposes ('consumer', 'business'); authority: its scope
  purposes        text[] NOT NULL DEFAULT '{}',
  scope           jsonb NOT NULL DEFAULT '{}'::jsonb,
  granted_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, permission)
);

-- One-time transfer codes for retrieving a certificate (access.md: 14 days, 5 tries).
CREATE TABLE certificate_orders (
  transfer_id        text PRIMARY KEY,
  organisation_id    bigint NOT NULL REFERENCES organisations(id),
  usage              text NOT NULL CHECK (usage IN ('reporting', 'data-use')),
  environment        text NOT NULL CHECK (environment IN ('Test', 'Production')),
  password_hash      text NOT NULL,
  expires_at         timestamptz NOT NULL,
  tries_left         integer NOT NULL DEFAULT 5,
  spent_at           timestamptz,
  certificate_serial text,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- Every certificate the register issued. Trust is by this table (serial + fingerprint), not the subject.
CREATE TABLE certificates (
  serial             text PRIMARY KEY,
  organisation_id    bigint NOT NULL REFERENCES organisations(id),
  usage              text NOT NULL CHECK (usage IN ('reporting', 'data-use')),
  environment        text NOT NULL CHECK (environment IN ('Test', 'Production')),
  fingerprint256     text NOT NULL UNIQUE,
  not_before         timestamptz NOT NULL,
  not_after          timestamptz NOT NULL,
  pem                text NOT NULL,
  renewed_from       text REFERENCES certificates(serial),
  revoked_at         timestamptz,
  revocation_reason  text,
  issued_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_organisation ON certificates (organisation_id);
CREATE INDEX certificates_not_after ON certificates (not_after) WHERE revoked_at IS NULL;

-- What the operator changed, and when (the audit trail of the access area).
CREATE TABLE operator_audit (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  action    text NOT NULL,
  details   jsonb NOT NULL DEFAULT '{}'::jsonb
);
