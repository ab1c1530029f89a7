import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV7, uuidV7Time } from '../../src/common/uuid.ts';

test('version 7 UUIDs: the RFC 9562 layout, the time they were made at, sorted by it, unique', () => {
  const at = Date.parse('2026-11-26T02:30:00.123Z');
  const id = uuidV7(at);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(uuidV7Time(id), at);
  assert.equal(uuidV7Time(uuidV7(2 ** 48 - 1)), 2 ** 48 - 1, 'all 48 time bits');
  assert.equal(id.slice(0, 13), '01a215b0-38bb', 'the time, big-endian');
  const ids = Array.from({ length: 5000 }, (_, i) => uuidV7(at + Math.floor(i / 10)));
  assert.equal(new Set(ids).size, ids.length, 'unique, ten to a millisecond');
  for (let i = 10; i < ids.length; i += 10) assert.ok(ids[i - 1]! < ids[i]!, 'a later millisecond sorts later');
});
