-- The e-service for private persons (issue 12, src/eservice/). Everything a login needs lives in
-- the database, so that any register process can answer any request of a person's session.

-- A person's session: the cookie holds a random token; only its SHA-256 is stored, so a copy of
-- this table opens no session. It ends after a spell without requests (last_seen_at), or at logout.
CREATE TABLE eservice_sessions (
  token_sha256  bytea PRIMARY KEY,
  person        text NOT NULL,
  csrf_token    text NOT NULL,
  language      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eservice_sessions_last_seen ON eservice_sessions (last_seen_at);

-- A login under way: from the redirect to the identity provider to its answer (state, nonce and
-- the PKCE verifier, kept here rather than in a cookie).
CREATE TABLE eservice_logins (
  token_sha256  bytea PRIMARY KEY,
  state         text NOT NULL,
  nonce         text NOT NULL,
  code_verifier text NOT NULL,
  language      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- The Test environment's own identity provider (oidc-provider): its sessions, interactions,
-- codes and grants, each a JSON payload with its expiry (src/eservice/test-idp.ts).
CREATE TABLE test_idp_payloads (
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  uid         text,
  grant_id    text,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (model, id)
);
CREATE INDEX test_idp_payloads_uid ON test_idp_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX test_idp_payloads_grant ON test_idp_payloads (grant_id) WHERE grant_id IS NOT NULL;
