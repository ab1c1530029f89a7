/** Personal identity codes never appear in logs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger, REDACTED, scrub } from '../../src/http/logging.ts';
import { makePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

const CODE = '010190-923E';
let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

test('scrub removes identity codes from strings, objects and errors', () => {
  assert.equal(scrub(`person ${CODE} and 131052-308t`), 'person [identity code] and [identity code]');
  assert.deepEqual(scrub({ a: [CODE], b: { c: `/GetLoan?x=${CODE}` }, [CODE]: 1 }), { a: ['[identity code]'], b: { c: '/GetLoan?x=[identity code]' }, '[identity code]': 1 });
  const e = scrub(new Error(`bad ${CODE}`)) as { message: string; stack: string };
  assert.equal(e.message, 'bad [identity code]');
  assert.doesNotMatch(e.stack, /923E/);
});

test('certificate serials and UUIDs that hold the shape of a code come through whole', () => {
  const serial = '40123456A789B0123456789ABCDEF012'; // 123456A789B inside
  const uuid = '90123456-789a-4bcd-8ef0-123456789abc'; // 123456-789a inside
  const line = `certificate ${serial} correlationId=${uuid} "${uuid.toUpperCase()}"`;
  assert.equal(scrub(line), line);
  assert.equal(scrub(`${serial}:${CODE}`), `${serial}:[identity code]`);
});

const SEED = 20_250_917;
const hexDigit = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...'0123456789') }, { weight: 3, arbitrary: fc.constantFrom(...'ABCDEF') });
/** Hex mostly of digits, so that runs of six digits next to a century sign (A–F) and '-' come up often. */
const hexText = (length: number) => fc.array(hexDigit, { minLength: length, maxLength: length }).map((a) => a.join(''));
/** As pki.ts newSerial makes them: 16 random bytes, the first one positive and non-zero, upper-case hex. */
const serial = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ((b[0] = (b[0]! & 0x6f) | 0x10), Buffer.from(b).toString('hex').toUpperCase())),
  hexText(32).map((h) => `${'1234567'[h.charCodeAt(0) % 7]}${h.slice(1)}`),
  // Any hex run longer than a code (11 hex characters could be a code: 123456A789B).
  fc.integer({ min: 12, max: 64 }).chain(hexText),
);
/** Version 4 and 7 layouts (8-4-4-4-12, version nibble, variant 8–b), in either case. */
const uuid = fc.oneof(
  fc.uuid({ version: [4, 7] }),
  fc.tuple(hexText(32), fc.constantFrom('4', '7'), fc.constantFrom('8', '9', 'a', 'b'), fc.boolean()).map(([h, v, variant, upper]) => {
    const u = `${h.slice(0, 8)}-${h.slice(8, 12)}-${v}${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return upper ? u.toUpperCase() : u.toLowerCase();
  }),
);
/** Valid codes of every century sign, real and test individual numbers (900–999), in either case. */
const identityCode = fc
  .tuple(fc.date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 2, max: 999 }), fc.nat(5), fc.boolean())
  .map(([d, n, sign, lower]) => {
    const code = makePersonalIdentityCode(d.toISOString().slice(0, 10), n, sign);
    return lower ? code.toLowerCase() : code;
  });
/** What borders a value in a log line: anything but an ASCII letter or digit (or the line's end, below). */
const border = fc.constantFrom(' ', 'ä', 'Ⰰ', '=', ':', '"', "'", '/', '?', '&', ',', ';', '(', ')', '[', ']', '{', '}', '\n', '\t', '-', '+', '.', '_', '#', '@', '<', '>', '|', '\\');
const text = fc.string({ maxLength: 30, unit: 'binary' });
const side = fc.oneof(fc.tuple(text, border), fc.constant(['', ''] as [string, string]));
const surrounding = fc.tuple(side, side).map(([[before, b1], [after, b2]]) => [before, b1, b2, after] as const);
const inLine = (value: fc.Arbitrary<string>) =>
  fc.tuple(value, surrounding, fc.constantFrom('text', 'json', 'url')).map(([v, [before, b1, b2, after], shape]) => ({
    value: v,
    line: shape === 'json' ? JSON.stringify({ before, v, after }) : shape === 'url' ? `/path/${v}?x=${v}&y=${encodeURIComponent(before)}` : `${before}${b1}${v}${b2}${after}`,
  }));

test('property: random serials and UUIDs inside log lines come through unchanged', () => {
  fc.assert(
    fc.property(inLine(serial), inLine(uuid), (s, u) => {
      assert.ok((scrub(s.line) as string).includes(s.value), `${s.value} in ${JSON.stringify(s.line)}`);
      assert.ok((scrub(u.line) as string).includes(u.value), `${u.value} in ${JSON.stringify(u.line)}`);
      const fields = scrub({ certificate: s.value, correlationId: u.value, msg: `${s.value} ${u.value}` });
      assert.deepEqual(fields, { certificate: s.value, correlationId: u.value, msg: `${s.value} ${u.value}` });
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('property: random valid identity codes embedded in random text are always scrubbed', () => {
  fc.assert(
    fc.property(inLine(identityCode), inLine(serial), ({ value, line }, s) => {
      const out = scrub(`${line} ${s.line}`) as string;
      assert.ok(!out.toUpperCase().includes(value.toUpperCase()), `${value} left in ${JSON.stringify(out)}`);
      assert.ok(out.includes(REDACTED));
      assert.ok(out.includes(s.value), 'the serial next to it stays');
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('property: through the logger, a line with a code, a serial and a UUID keeps the serial and the UUID only', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  fc.assert(
    fc.property(identityCode, serial, uuid, (code, s, u) => {
      lines.length = 0;
      logger.info({ certificate: s, correlationId: u, url: `/GetLoan/${code}` }, `certificate ${s} asked about ${code}`);
      const [line] = lines;
      assert.ok(line && line.includes(s) && line.includes(u), line);
      assert.ok(!line.toUpperCase().includes(code.toUpperCase()), line);
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('the logger scrubs messages, fields and errors it is handed', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  logger.info({ person: CODE, nested: { list: [CODE] } }, `about ${CODE}`);
  logger.error({ err: new Error(`failed for ${CODE}`) }, 'failure');
  logger.info(`plain ${CODE.toLowerCase()}`);
  assert.equal(lines.length, 3);
  for (const l of lines) assert.doesNotMatch(l, /923E/i, l);
});

test('requests carrying identity codes in the path and body leave none in the server log', async () => {
  const { client } = await reg.lender();
  await client.post(`/GetLoan/${CODE}`, { idCode: CODE });
  await client.post('/certificates/renew', `{"csr": "${CODE}", "${CODE}": 1}`);
  await reg.anonymous().post('/certificates/sign', `{"transferId": "${CODE}", "transferPassword": "${CODE}", "csr": "${CODE}"}`);
  await reg.anonymous().post('/certificates/sign', `{"transferId": "${CODE}`);
  await new Promise((r) => setTimeout(r, 50));
  const log = reg.logs.join('');
  assert.ok(reg.logs.length >= 4, 'the requests were logged');
  assert.doesNotMatch(log, /923E/i);
  assert.match(log, /\[identity code\]/, 'the path was logged, scrubbed');
});

test('a code between percent-escapes (a percent-encoded URL or JSON) is scrubbed', () => {
  assert.equal(scrub('/x?q=%7B%22idCode%22%3A%22010190-923E%22%7D'), '/x?q=%7B%22idCode%22%3A%22[identity code]%22%7D');
  assert.equal(scrub('%2A010190-923E'), '%2A[identity code]');
});
