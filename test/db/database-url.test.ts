/**
 * The database URL with libpq's host list (issue 13): a primary and its standby in one
 * --database-url, the register connecting to whichever is read-write. Pure parsing, on both
 * legs; the connecting itself is test/operations/failover.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseUrlError, parseDatabaseUrl } from '../../src/db/database-url.ts';

test('a host list becomes one URL per server, with the same user, password, database and parameters', () => {
  const parsed = parseDatabaseUrl('postgres://pcr:s%40cret@db1.example.fi:5432,db2.example.fi:5433/register?sslmode=require&target_session_attrs=read-write&application_name=pcr');
  assert.equal(parsed.targetSessionAttrs, 'read-write');
  assert.deepEqual(
    parsed.hosts.map((h) => [h.label, h.host, h.port, h.url]),
    [
      ['db1.example.fi:5432', 'db1.example.fi', 5432, 'postgres://pcr:s%40cret@db1.example.fi:5432/register?sslmode=require&application_name=pcr'],
      ['db2.example.fi:5433', 'db2.example.fi', 5433, 'postgres://pcr:s%40cret@db2.example.fi:5433/register?sslmode=require&application_name=pcr'],
    ],
  );
});

test('a server of the list without a port is on 5432; IPv6 addresses go in brackets', () => {
  const parsed = parseDatabaseUrl('postgresql://pcr@[fd00::1],10.0.0.2:6432/register?target_session_attrs=primary');
  assert.equal(parsed.targetSessionAttrs, 'primary');
  assert.deepEqual(parsed.hosts.map((h) => [h.label, h.host, h.port, h.url]), [
    ['[fd00::1]:5432', 'fd00::1', 5432, 'postgresql://pcr@[fd00::1]:5432/register'],
    ['10.0.0.2:6432', '10.0.0.2', 6432, 'postgresql://pcr@10.0.0.2:6432/register'],
  ]);
});

test('a URL of one server is left to pg as it was written (only target_session_attrs taken out)', () => {
  for (const url of ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://pcr@/register?host=/var/run/postgresql', 'postgresql:///register']) {
    const parsed = parseDatabaseUrl(url);
    assert.equal(parsed.targetSessionAttrs, 'any');
    assert.equal(parsed.hosts.length, 1);
    assert.equal(parsed.hosts[0]!.url, url);
    assert.equal(parsed.hosts[0]!.host, undefined, 'pg reads the host of a one-server URL itself');
  }
  const one = parseDatabaseUrl('postgres://pcr@db1:5432/register?target_session_attrs=read-write&sslmode=require');
  assert.equal(one.targetSessionAttrs, 'read-write');
  assert.equal(one.hosts[0]!.url, 'postgres://pcr@db1:5432/register?sslmode=require');
});

test('bad host lists are refused with a message that says what is wrong, never with the password', () => {
  const cases: [string, RegExp][] = [
    ['postgres://pcr:topsecret@db1:5432,db2:5432/register', /A list of hosts needs \?target_session_attrs=read-write/],
    ['postgres://pcr:topsecret@db1:5432,,db2:5432/register?target_session_attrs=read-write', /an empty entry/],
    ['postgres://pcr:topsecret@db1:5432,/register?target_session_attrs=read-write', /an empty entry/],
    ['postgres://pcr:topsecret@db1:5432,db2:port/register?target_session_attrs=read-write', /not host or host:port: "db2:port"/],
    ['postgres://pcr:topsecret@db1:5432,db2:70000/register?target_session_attrs=read-write', /port of "db2:70000" is not from 1 to 65535/],
    ['postgres://pcr:topsecret@db1:0,db2/register?target_session_attrs=read-write', /port of "db1:0"/],
    ['postgres://pcr:topsecret@db1:5432,db1:5432/register?target_session_attrs=read-write', /names db1:5432 twice/],
    ['postgres://pcr:topsecret@db1,db2/register?target_session_attrs=master', /target_session_attrs must be one of any, read-write, read-only, primary, standby, prefer-standby, not "master"/],
    ['postgres://pcr:topsecret@db1,db2/register?target_session_attrs=read-write&target_session_attrs=any', /more than once/],
    ['postgres://pcr:topsecret@/register?host=db1,db2&target_session_attrs=read-write', /not in \?host=/],
    ['mysql://pcr:topsecret@db1,db2/register', /starts postgres:\/\/ or postgresql:\/\//],
  ];
  for (const [url, message] of cases) {
    assert.throws(
      () => parseDatabaseUrl(url),
      (err: unknown) => {
        assert.ok(err instanceof DatabaseUrlError, url);
        assert.match(err.message, message, url);
        assert.doesNotMatch(err.message, /topsecret/, 'the password is not repeated');
        return true;
      },
    );
  }
});
