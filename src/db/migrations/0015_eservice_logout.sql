-- Logging out of the e-service also ends the identity provider's session (RP-initiated logout,
-- src/eservice/app.ts): the end-session request names the session by the ID token the provider
-- issued at login (id_token_hint). Kept with the register's session, and only when the token
-- carries no personal identity code (the hint travels in a URL); NULL otherwise, and for a
-- session that began before this migration (its logout then names the client instead).
ALTER TABLE eservice_sessions ADD COLUMN id_token text;
