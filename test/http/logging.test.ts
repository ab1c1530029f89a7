/** Personal identity codes never appear in logs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, scrub } from '../../src/http/logging.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';

const CODE = '010190-923E';
let reg: TestRegister;
before(async () => {
  reg = await startTestRegister();
});
after(() => reg.close());

test('scrub removes identity codes from strings, objects and errors', () => {
  assert.equal(scrub(`person ${CODE} and 131052-308t`), 'person [identity code] and [identity code]');
  assert.deepEqual(scrub({ a: [CODE], b: { c: `x${CODE}` } }), { a: ['[identity code]'], b: { c: 'x[identity code]' } });
  const e = scrub(new Error(`bad ${CODE}`)) as { message: string; stack: string };
  assert.equal(e.message, 'bad [identity code]');
  assert.doesNotMatch(e.stack, /923E/);
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
