/**
 * The naughty-input suite: a seeded property-based fuzzer over every operation the register
 * serves, over real mutual TLS with a certificate of the right usage and permission. Whatever
 * arrives, the register answers below 500 (but the documented 503 A90 of /Servicebreak), every
 * refusal has the uniform error body, the server stays up, a refused request changes nothing
 * (batch_refusals aside, which records refusals by design), and an accepted batch finishes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OPERATIONS, type Operation } from '../../src/access/policy.ts';
import { CATALOGUE } from '../../src/common/errors.ts';
import { waitForBatch } from '../helpers/reports.ts';
import { deliveriesSettled } from '../helpers/deliveries.ts';
import { callerOf, expectedForValid, isBatchOperation, ownerRefOf, startFuzzRegister, validRequest, type FuzzRegister } from './fixtures.ts';
import {
  assertAnswer, bodySchemas, changedTables, codeOf, fuzzTargets, pathOf, registerTables, send, snapshot, wtf8,
  type RawRequest, type RawResponse, type Target,
} from './harness.ts';
import { applyMutation, CONTROL_CHARACTERS, inEveryText, LONE_SURROGATES, mutation, placeKinds, placesOf, setEvery, type PlaceKind } from './mutations.ts';

const SEED = 4242;

let f: FuzzRegister;
let targets: Target[];
let tables: string[];
/** Where the free texts, numbers and dates are in each route's body, by its schema. */
let kinds: Map<string, Map<string, PlaceKind>>;
before(async () => {
  f = await startFuzzRegister();
  targets = fuzzTargets(f.t);
  tables = await registerTables(f.t.register.db);
  kinds = new Map([...(await bodySchemas(f.t))].map(([path, schema]) => [path, placeKinds(schema)]));
});
after(() => f.t.close());

const describe = (target: Target) => `${target.method} ${target.path}`;
const serviceBreak = (target: Target) => target.path === '/Servicebreak';
/** A route whose body the register checks against a schema (so a broken body is A10). */
const strict = (target: Target) => target.routed && !serviceBreak(target);

/** A valid request succeeds: the server is alive and still serves. */
async function assertAlive(what: string): Promise<void> {
  const res = await f.reporting.client.get<{ certificate?: unknown }>('/whoami');
  assert.equal(res.status, 200, `the register answers a valid request after ${what}: ${res.status} ${res.text.slice(0, 200)}`);
}

/** Set when a batch never finished: the queue is stuck, later batches need not be waited for. */
let stuck: string | undefined;

/** An accepted batch is processed to the end: never stuck Received, never A99 for a report. */
async function assertFinishes(target: Target, reference: string, what: string): Promise<void> {
  if (stuck) assert.fail(`an accepted batch cannot finish (${what}): the queue is stuck since ${stuck}`);
  let status;
  try {
    status = await waitForBatch(f.reporting.client, ownerRefOf(f, target), reference, 8_000);
  } catch (err) {
    stuck = what;
    assert.fail(`an accepted batch never finished (${what}): ${(err as Error).message}`);
  }
  assert.match(status.batchStatus, /^Finished/);
  for (const r of status.rejectedReports ?? []) {
    assert.ok(r.errorResponses.length > 0, `a rejected report without a code (${what})`);
    for (const e of r.errorResponses) {
      assert.ok(e.errorCode in CATALOGUE, `report code ${e.errorCode} is in the catalogue (${what})`);
      assert.notEqual(e.errorCode, 'A99', `a report rejected with A99 (${what}): ${JSON.stringify(r)}`);
    }
  }
}

/**
 * Sends one request and checks every promise about it: the answers, the state when refused,
 * the batch when accepted, the server after. Returns the answers.
 */
async function probe(target: Target, request: RawRequest | Buffer, what: string, opts: { halfClose?: boolean; waitMs?: number; expectCode?: string | string[] } = {}): Promise<RawResponse[]> {
  const before = await snapshot(f.t.register.db, tables);
  const responses = await send(f.t, callerOf(f, target), request, opts);
  for (const res of responses) assertAnswer(res, what, { serviceBreak: serviceBreak(target) });
  if (opts.expectCode) {
    assert.ok(responses.length > 0, `no answer (${what})`);
    const codes = ([] as string[]).concat(opts.expectCode);
    assert.ok(codes.includes(codeOf(responses[0]!) ?? ''), `${what}: expected ${codes.join(' or ')}, got ${responses[0]!.status} ${responses[0]!.text.slice(0, 300)}`);
  }
  const accepted = responses.find((r) => r.status < 300);
  if (!accepted) {
    const changed = changedTables(before, await snapshot(f.t.register.db, tables));
    assert.deepEqual(changed, [], `a refused request changed ${changed.join(', ')} (${what}: ${responses.map((r) => `${r.status} ${codeOf(r)}`).join('; ') || 'no answer'})`);
  } else if (isBatchOperation(target.operation) && accepted.status === 202) {
    const reference = (accepted.body as { batchReference?: string }).batchReference;
    assert.ok(reference, `a 202 names its batch (${what})`);
    await assertFinishes(target, reference, what);
  } else if (target.operation === 'OrderData') {
    await deliveriesSettled(f.t.register.db); // its delivery is produced in the background: not a later request's change
  }
  await assertAlive(what);
  return responses;
}

/** Runs every case and fails once with the list of those that failed, so that one defect hides no other. */
async function everyCase(cases: { name: string; run: () => Promise<unknown> }[]): Promise<void> {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      await c.run();
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
}

function bodyText(body: unknown): string | undefined {
  return body === undefined ? undefined : JSON.stringify(body);
}

test('the fuzzer covers every operation of the access policy and every route, and knows a valid request of each', async () => {
  const paths = new Set(targets.map((x) => x.path));
  for (const op of Object.keys(OPERATIONS) as Operation[]) assert.ok(paths.has(pathOf(op)), `operation ${op} is fuzzed`);
  for (const must of ['/AddLoans', '/GetCreditRegisterExtract', '/IncomeFeed', '/certificates/sign', '/certificates/renew', '/Servicebreak', '/whoami']) {
    assert.ok(paths.has(must), `${must} is found among the routes`);
  }
  for (const target of targets) {
    const { body, headers } = validRequest(f, target);
    const before = await snapshot(f.t.register.db, tables);
    const [res] = await send(f.t, callerOf(f, target), { method: target.method, path: target.path, headers, ...(body !== undefined ? { body: bodyText(body)! } : {}) });
    const expected = expectedForValid(target);
    assert.equal(res!.status, expected.status, `a valid ${describe(target)} (a new operation needs a valid body in fixtures.ts): ${res!.text.slice(0, 300)}`);
    if (expected.code) assert.equal(codeOf(res!), expected.code, describe(target));
    if (res!.status === 202) await assertFinishes(target, (res!.body as { batchReference: string }).batchReference, `valid ${describe(target)}`);
    if (target.operation === 'OrderData') await deliveriesSettled(f.t.register.db);
    // The state digest sees what a request writes (else "no state change when refused" would prove nothing).
    if (reachesDatabase(target)) assert.notDeepEqual(await snapshot(f.t.register.db, tables), before, `the snapshot sees the writes of a valid ${describe(target)}`);
  }
});

/** More runs where content reaches the database (batches, extracts, income) than where it is only parsed. */
function runsFor(target: Target): number {
  if (!target.routed) return 5;
  if (reachesDatabase(target)) return 50;
  return 20;
}

test('mutated valid bodies of every operation: never a 5xx, the error body, no state change when refused, accepted batches finish', { timeout: 600_000 }, async (t) => {
  for (const target of targets.filter((x) => x.method === 'POST')) {
    await t.test(describe(target), async () => {
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const { body, headers } = validRequest(f, target);
          const { text, expect } = applyMutation(body, m, kinds.get(target.path));
          await probe(target, { path: target.path, headers, body: text }, `${describe(target)} ${JSON.stringify(m).slice(0, 300)}`, {
            ...(expect && strict(target) ? { expectCode: expect } : {}),
          });
        }),
        // A stuck batch makes every later run wait: no shrinking there, the failing mutation is printed as it is.
        { seed: SEED, numRuns: runsFor(target), endOnFailure: isBatchOperation(target.operation) },
      );
    });
  }
});

/** The operations whose content reaches the database. */
const reachesDatabase = (target: Target) =>
  isBatchOperation(target.operation) || ['GetCreditRegisterExtract', 'IncomeFeed', 'GetVoluntaryBanChanges', 'OrderData'].includes(target.operation ?? '');

/** The numbers of the issue, and the dates PostgreSQL or the calendar cannot take. */
const SWEEP_NUMBERS = ['1e400', '-0', '1e-400', '123456789012345678901234567890.123', '99999999999999999999.99'];
/** Every character on one operation of each path (batch worker, extract, income feed); the worst ones on the other batch operations. */
const sweepCharacters = (target: Target) =>
  ['AddLoans', 'GetCreditRegisterExtract', 'IncomeFeed'].includes(target.operation ?? '') ? [...CONTROL_CHARACTERS, ...LONE_SURROGATES] : ['\u0000', '\u001f', '\u007f', '\ud800', '\udfff'];
const SWEEP_DATES = ['0000-01-01', '0001-01-01', '9999-12-31'];

test('every control character and lone surrogate in every text, naughty numbers and dates in every place, of every operation that stores', { timeout: 600_000 }, async (t) => {
  for (const target of targets.filter(reachesDatabase)) {
    await t.test(describe(target), async () => {
      const placeKind = kinds.get(target.path) ?? new Map();
      const cases: { name: string; run: () => Promise<unknown> }[] = [];
      const add = (name: string, make: (body: unknown) => string) =>
        cases.push({
          name,
          run: () => {
            const { body, headers } = validRequest(f, target);
            return probe(target, { path: target.path, headers, body: make(body) }, `${describe(target)} ${name}`);
          },
        });
      for (const ch of sweepCharacters(target)) add(`${JSON.stringify(ch)} (escaped) in every text`, (body) => inEveryText(body, placeKind, ch));
      const sample = validRequest(f, target).body;
      for (const place of placesOf(sample, placeKind, 'number')) {
        for (const text of SWEEP_NUMBERS) add(`${place} = ${text}`, (body) => setEvery(body, placeKind, place, () => ({ t: 'text', text })));
      }
      for (const place of placesOf(sample, placeKind, 'date')) {
        for (const v of SWEEP_DATES) add(`${place} = ${v}`, (body) => setEvery(body, placeKind, place, () => ({ t: 'str', v })));
      }
      await everyCase(cases);
    });
  }
});

/** A body beyond the route's limit is refused for its size (A12) before anyone reads it as JSON. */
const deepCodes = (target: Target, text: string) => (target.path.startsWith('/certificates/') && text.length > 64 * 1024 ? ['A10', 'A12'] : 'A10');

test('deep nesting (100 000 levels) → 400 A10 on every operation, and the server goes on', { timeout: 600_000 }, async (t) => {
  const deep = [
    '['.repeat(100_000) + ']'.repeat(100_000),
    '['.repeat(100_000),
    '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
    '[{"a":'.repeat(50_000),
  ];
  for (const target of targets.filter((x) => x.method === 'POST')) {
    await t.test(describe(target), async () => {
      const { body, headers } = validRequest(f, target);
      // Deep inside a valid envelope too.
      const inner = JSON.stringify(body).replace(/^\{/, `{"owner":${'['.repeat(100_000)}${']'.repeat(100_000)},`);
      await everyCase(
        [...deep, inner].map((text) => ({
          name: `${text.slice(0, 12)}… (${text.length} characters)`,
          run: () => probe(target, { path: target.path, headers, body: text }, `${describe(target)} nesting`, strict(target) ? { expectCode: deepCodes(target, text) } : {}),
        })),
      );
    });
  }
});

test('a property twice in any casing → 400 A10 on every operation', async () => {
  const cases = [];
  for (const target of targets.filter((x) => x.method === 'POST' && strict(x))) {
    const { body, headers } = validRequest(f, target);
    const text = JSON.stringify(body);
    const [first] = Object.keys(body as object);
    for (const twin of [first!, first!.toUpperCase(), first![0]!.toUpperCase() + first!.slice(1)]) {
      const dup = text.replace(/^\{/, `{${JSON.stringify(twin)}:${JSON.stringify((body as Record<string, unknown>)[first!])},`);
      cases.push({ name: `${describe(target)} ${first} twice as ${twin}`, run: () => probe(target, { path: target.path, headers, body: dup }, `${describe(target)} ${first} twice as ${twin}`, { expectCode: 'A10' }) });
    }
  }
  await everyCase(cases);
});

test('truncated and oversized bodies', { timeout: 600_000 }, async (t) => {
  for (const target of targets.filter((x) => x.method === 'POST')) {
    await t.test(describe(target), async () => {
      const { body, headers } = validRequest(f, target);
      const text = bodyText(body)!;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: text.length - 1 }), async (cut) => {
          await probe(target, { path: target.path, headers, body: text.slice(0, cut) }, `${describe(target)} cut at ${cut}`, strict(target) ? { expectCode: 'A10' } : {});
        }),
        { seed: SEED, numRuns: 5 },
      );
      // Declared larger than any limit: refused from the header, without reading the body.
      await probe(target, { path: target.path, headers, body: text, contentLength: 200 * 1024 * 1024 }, `${describe(target)} Content-Length 200 MiB`, {
        ...(strict(target) ? { expectCode: 'A12' } : {}),
        waitMs: 10_000,
      });
      // The certificate routes' limit (64 KiB), sent whole.
      if (target.path.startsWith('/certificates/')) {
        await probe(target, { path: target.path, body: JSON.stringify({ csr: 'A'.repeat(70 * 1024) }) }, `${describe(target)} 70 KiB`, { expectCode: 'A12' });
      }
    });
  }
});

/** One hostile form of a request: built from the valid request of a target. */
interface HeaderCase {
  name: string;
  /** Only for batch operations (the BatchReference header). */
  batchOnly?: boolean;
  build(valid: { path: string; method: 'GET' | 'POST'; body?: string; headers: [string, string][] }): RawRequest | Buffer;
  opts?: { halfClose?: boolean; waitMs?: number };
  /** The code the register must answer with (on routes with a schema). */
  expectCode?: string;
}

const withReference = (value: string | Buffer | (string | Buffer)[]) => (v: Parameters<HeaderCase['build']>[0]): RawRequest => ({
  path: v.path,
  ...(v.body !== undefined ? { body: v.body } : {}),
  headers: (Array.isArray(value) ? value : [value]).map((x) => ['BatchReference', x] as [string, string | Buffer]),
});

const plain = (v: Parameters<HeaderCase['build']>[0], extra: Partial<RawRequest> = {}): RawRequest => ({
  method: v.method,
  path: v.path,
  headers: v.headers,
  ...(v.body !== undefined ? { body: v.body } : {}),
  ...extra,
});

/** The request bytes as they are, for forms requestBytes() does not make (chunked bodies). */
function chunked(v: Parameters<HeaderCase['build']>[0], chunks: string[], extra = ''): Buffer {
  const head = `${v.method} ${v.path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n${v.headers.map(([k, x]) => `${k}: ${x}\r\n`).join('')}${extra}`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), ...chunks.map((c) => Buffer.from(c, 'latin1'))]);
}
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

const CONTROL = ['\u0000', '\u0001', '\u0008', '\u0009', '\u000b', '\u001b', '\u001f', '\u007f'];

const HEADER_CASES: HeaderCase[] = [
  ...CONTROL.map((c): HeaderCase => ({ name: `BatchReference with U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`, batchOnly: true, build: withReference(`B${c}1`) })),
  { name: 'BatchReference with a bare CR', batchOnly: true, build: withReference('B\r1') },
  { name: 'BatchReference with a bare LF (header injection)', batchOnly: true, build: withReference('B\nX-Injected: 1') },
  { name: 'BatchReference of 101 characters', batchOnly: true, build: withReference('B'.repeat(101)), expectCode: 'A11' },
  { name: 'BatchReference of 20 000 characters', batchOnly: true, build: withReference('B'.repeat(20_000)) },
  { name: 'BatchReference of 200 000 characters', batchOnly: true, build: withReference('B'.repeat(200_000)) },
  { name: 'BatchReference empty', batchOnly: true, build: withReference(''), expectCode: 'A11' },
  { name: 'BatchReference missing', batchOnly: true, build: (v) => ({ path: v.path, body: v.body! }), expectCode: 'A11' },
  { name: 'BatchReference in UTF-8 with å ä ö', batchOnly: true, build: (v) => withReference(Buffer.from(`Erä ${Date.now()}-${Math.random()}`, 'utf8'))(v) },
  { name: 'BatchReference in UTF-8, not Latin-1 (漢字)', batchOnly: true, build: withReference(Buffer.from('漢字', 'utf8')), expectCode: 'A11' },
  { name: 'BatchReference not UTF-8 (FF FE)', batchOnly: true, build: withReference(Buffer.from([0x42, 0xff, 0xfe])), expectCode: 'A11' },
  { name: 'BatchReference with a lone surrogate in WTF-8', batchOnly: true, build: withReference(wtf8('B\ud800')), expectCode: 'A11' },
  { name: 'BatchReference twice', batchOnly: true, build: (v) => withReference([`B-${Math.random()}`, `C-${Math.random()}`])(v) },
  { name: 'BatchReference twice, one of them hostile', batchOnly: true, build: withReference(['B-ok', 'B\u0001']) },
  { name: 'no Content-Type', build: (v) => plain(v, { contentType: null }), expectCode: 'A13' },
  { name: 'Content-Type text/plain', build: (v) => plain(v, { contentType: 'text/plain' }), expectCode: 'A13' },
  { name: 'Content-Type with charset=utf-16', build: (v) => plain(v, { contentType: 'application/json; charset=utf-16' }), expectCode: 'A13' },
  { name: 'Content-Type with charset=""', build: (v) => plain(v, { contentType: 'application/json; charset=""' }) },
  { name: 'Content-Type in capitals', build: (v) => plain(v, { contentType: 'APPLICATION/JSON; CHARSET=UTF-8' }) },
  { name: 'Content-Type application/jsonx', build: (v) => plain(v, { contentType: 'application/jsonx' }) },
  { name: 'Content-Type with a list', build: (v) => plain(v, { contentType: 'application/json, text/plain' }) },
  { name: 'Content-Type multipart', build: (v) => plain(v, { contentType: 'multipart/form-data; boundary=x' }), expectCode: 'A13' },
  { name: 'Content-Type of 8 000 characters', build: (v) => plain(v, { contentType: `application/json; x=${'y'.repeat(8000)}` }) },
  { name: 'Content-Type with a Latin-1 byte', build: (v) => plain(v, { contentType: Buffer.from([0x61, 0x70, 0x70, 0xe4]) }) },
  { name: 'Content-Type twice', build: (v) => plain(v, { headers: [...v.headers, ['Content-Type', 'text/plain']] }) },
  { name: 'Content-Length shorter than the body', build: (v) => plain(v, { contentLength: Math.max(0, Buffer.byteLength(v.body ?? '') - 5) }) },
  { name: 'Content-Length twice, different', build: (v) => plain(v, { headers: [...v.headers, ['Content-Length', '1']] }) },
  { name: 'Content-Length not a number', build: (v) => plain(v, { contentLength: 'abc' }) },
  { name: 'Content-Length negative', build: (v) => plain(v, { contentLength: '-1' }) },
  { name: 'Content-Length of 20 digits', build: (v) => plain(v, { contentLength: '99999999999999999999' }) },
  { name: 'Content-Length longer than the body, then the client goes', build: (v) => plain(v, { contentLength: Buffer.byteLength(v.body ?? '') + 100 }), opts: { halfClose: true, waitMs: 5000 } },
  { name: 'Transfer-Encoding chunked', build: (v) => chunked(v, [chunk((v.body ?? '').slice(0, 7)), chunk((v.body ?? '').slice(7)), '0\r\n\r\n'], 'Transfer-Encoding: chunked\r\n') },
  { name: 'Transfer-Encoding chunked with Content-Length', build: (v) => chunked(v, [chunk(v.body ?? ''), '0\r\n\r\n'], `Transfer-Encoding: chunked\r\nContent-Length: ${Buffer.byteLength(v.body ?? '')}\r\n`) },
  { name: 'Transfer-Encoding gzip', build: (v) => chunked(v, [v.body ?? ''], 'Transfer-Encoding: gzip\r\n') },
  { name: 'Transfer-Encoding gzip, chunked (not decoded)', build: (v) => chunked(v, [chunk(v.body ?? ''), '0\r\n\r\n'], 'Transfer-Encoding: gzip, chunked\r\n') },
  { name: 'Transfer-Encoding chunked with a bad size', build: (v) => chunked(v, [`zz\r\n${v.body ?? ''}\r\n0\r\n\r\n`], 'Transfer-Encoding: chunked\r\n') },
  { name: 'Transfer-Encoding chunked with an extension', build: (v) => chunked(v, [`${Buffer.byteLength(v.body ?? '').toString(16)};x=y\r\n${v.body ?? ''}\r\n0\r\n\r\n`], 'Transfer-Encoding: chunked\r\n') },
  { name: 'Transfer-Encoding chunked, truncated, then the client goes', build: (v) => chunked(v, [`ffff\r\n${v.body ?? ''}`], 'Transfer-Encoding: chunked\r\n'), opts: { halfClose: true, waitMs: 5000 } },
  { name: 'Content-Encoding gzip on a plain body', build: (v) => plain(v, { headers: [...v.headers, ['Content-Encoding', 'gzip']] }) },
  { name: 'Expect: 100-continue', build: (v) => plain(v, { headers: [...v.headers, ['Expect', '100-continue']] }) },
  { name: 'X-Correlation-Id chosen by the client', build: (v) => plain(v, { headers: [...v.headers, ['X-Correlation-Id', 'injected']] }) },
  { name: 'a header name with a space', build: (v) => plain(v, { headers: [...v.headers, ['Batch Reference', 'x']] }) },
  { name: 'a header value of 100 000 bytes', build: (v) => plain(v, { headers: [...v.headers, ['X-Big', 'x'.repeat(100_000)]] }) },
  { name: '3 000 headers', build: (v) => plain(v, { headers: [...v.headers, ...Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'y'] as [string, string])] }) },
  { name: 'no Host header', build: (v) => plain(v, { host: null }) },
  { name: 'HTTP/1.0', build: (v) => plain(v, { protocol: 'HTTP/1.0' }) },
  { name: 'HTTP/2.0 in an HTTP/1 request line', build: (v) => plain(v, { protocol: 'HTTP/2.0' }) },
  { name: 'the method in lower case', build: (v) => plain(v, { method: v.method.toLowerCase() }) },
  { name: 'an absolute URL', build: (v) => plain(v, { path: `https://localhost${v.path}` }) },
  { name: 'a query string', build: (v) => plain(v, { path: `${v.path}?x=1&__proto__=2` }) },
  { name: 'a trailing slash', build: (v) => plain(v, { path: `${v.path}/` }) },
  { name: '%00 in the path', build: (v) => plain(v, { path: `${v.path}%00` }) },
  { name: 'a raw control character in the path', build: (v) => plain(v, { path: `${v.path}\u0001` }) },
  { name: 'a path of 20 000 characters', build: (v) => plain(v, { path: `${v.path}/${'x'.repeat(20_000)}` }) },
];

test('hostile headers, framing and request lines: never a 5xx, the error body, no state change when refused', { timeout: 600_000 }, async (t) => {
  const chosen = ['/AddLoans', '/GetCreditRegisterExtract', '/IncomeFeed', '/certificates/sign', '/whoami'];
  for (const target of targets.filter((x) => chosen.includes(x.path))) {
    await t.test(describe(target), async () => {
      await everyCase(
        HEADER_CASES.filter((c) => !c.batchOnly || isBatchOperation(target.operation)).map((c) => ({
          name: c.name,
          run: async () => {
            const { body, headers } = validRequest(f, target);
            const request = c.build({ path: target.path, method: target.method, headers, ...(body !== undefined ? { body: bodyText(body)! } : {}) });
            const expectCode = c.expectCode && target.method === 'POST' && strict(target) ? { expectCode: c.expectCode } : {};
            const responses = await probe(target, request, `${describe(target)}: ${c.name}`, { ...c.opts, ...expectCode });
            if (c.name.startsWith('X-Correlation-Id')) {
              for (const r of responses) assert.notEqual(r.headers['x-correlation-id']?.[0], 'injected', 'the register chooses the correlation id');
            }
          },
        })),
      );
    });
  }
});

test('a request body that stops arriving → 408 A15 by the request timeout, and the server goes on', async () => {
  const target = targets.find((x) => x.operation === 'AddLoans')!;
  const { body, headers } = validRequest(f, target);
  const text = bodyText(body)!;
  await probe(target, { path: target.path, headers, body: text, contentLength: Buffer.byteLength(text) + 100 }, 'AddLoans with 100 bytes missing', { expectCode: 'A15', waitMs: 10_000 });
});
