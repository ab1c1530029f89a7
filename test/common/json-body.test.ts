import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseRequestJson, collectSchemaKeys } from '../../src/common/json-body.ts';
import { ExactNumber } from '../../src/common/decimal.ts';
import { RegisterError } from '../../src/common/errors.ts';

const keys = new Map<string, string>();
collectSchemaKeys({ properties: { targetEnvironment: {}, owner: { properties: { idCodeType: {}, idCode: {} } }, loans: { items: { properties: { amountIssued: {}, lumpSumLoan: {} } } } } }, keys);

function refusal(text: string): RegisterError {
  try {
    parseRequestJson(text, keys);
  } catch (err) {
    assert.ok(err instanceof RegisterError);
    return err;
  }
  assert.fail(`accepted ${text}`);
}

test('property names are matched case-insensitively and rewritten to camelCase', () => {
  const v = parseRequestJson('{"TargetEnvironment":"Test","OWNER":{"IdCodeType":"BusinessId","idcode":"1234567-1"}}', keys);
  assert.deepEqual(v, { targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: '1234567-1' } });
});

test('the same property twice, in any casing, is A10 naming it', () => {
  const e = refusal('{"owner":{"idCode":"1","IdCode":"2"}}');
  assert.equal(e.code, 'A10');
  assert.equal(e.errors[0]!.fieldName, 'owner.idCode');
  assert.equal(refusal('{"loans":[{"amountIssued":1,"AMOUNTISSUED":null}]}').errors[0]!.fieldName, 'loans[0].amountIssued');
});

test('control characters other than tab, LF and CR are A10 also when escaped (the database cannot keep U+0000)', () => {
  for (const c of ['\\u0000', '\\u0001', '\\u001f', '\\u001F', '\\b', '\\f']) {
    const e = refusal(`{"owner":{"idCode":"a${c}b"}}`);
    assert.equal(e.code, 'A10');
    assert.equal(e.errors[0]!.fieldName, 'owner.idCode');
  }
  assert.deepEqual(parseRequestJson('{"owner":{"idCode":"a\\tb\\nc\\rd"}}', keys), { owner: { idCode: 'a\tb\nc\rd' } });
});

test('UTF-16 surrogates must pair up, escaped or raw; a pair is the character it encodes', () => {
  for (const s of ['\\ud800', '\\udfff', '\\ud83d\\u0041', '\\ude00\\ud83d', '\\ud83d"', '\ud800', '\udc00x']) {
    assert.equal(refusal(`{"owner":{"idCode":"${s}"}}`).code, 'A10', JSON.stringify(s));
  }
  assert.deepEqual(parseRequestJson('["\\ud83d\\ude00", "\\uD83D\\uDE00", "😀", "a\\n😀"]', keys), ['😀', '😀', '😀', 'a\n😀']);
});

test(`nesting deeper than ${MAX_JSON_DEPTH} levels is A10, however deep (no stack overflow)`, () => {
  const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
  assert.equal(JSON.stringify(parseRequestJson(ok, keys)), ok);
  assert.equal(refusal('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)).code, 'A10');
  assert.match(refusal('['.repeat(100_000)).errors[0]!.errorDescription, /Nesting deeper than/);
  assert.equal(refusal('{"a":'.repeat(100_000)).code, 'A10');
  // Siblings do not add up: depth is how deep, not how many.
  const wide = `[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`;
  assert.equal((parseRequestJson(wide, keys) as unknown[]).length, 1000);
});

test('null is the same as absent', () => {
  assert.deepEqual(parseRequestJson('{"owner":null,"loans":[{"amountIssued":null}]}', keys), { loans: [{}] });
});

test('numbers: small integers are numbers, everything else keeps its exact text', () => {
  const v = parseRequestJson('{"a":10,"b":10000.00,"c":8.90,"d":1e3,"e":12345678901234567890,"f":-0.5}', keys) as Record<string, unknown>;
  assert.equal(v.a, 10);
  assert.deepEqual(v.b, new ExactNumber('10000.00'));
  assert.deepEqual(v.c, new ExactNumber('8.90'));
  assert.deepEqual(v.d, new ExactNumber('1e3'));
  assert.deepEqual(v.e, new ExactNumber('12345678901234567890'));
  assert.deepEqual(v.f, new ExactNumber('-0.5'));
});

test('malformed JSON is A10 and says where', () => {
  for (const bad of ['{', '{"a":}', '{"a":1,}', '[1,2', '{"a":01}', '{"a":1.}', '{"a":"x\u0001"}', '{"a":tru}', 'nul', '{"a":1} x', '{"a":"\\q"}', "{'a':1}", '{"__proto__":{}}']) {
    const e = refusal(bad);
    assert.equal(e.code, 'A10', bad);
    assert.match(e.errors[0]!.errorDescription, /.+/);
  }
});

test('escapes and unicode survive', () => {
  assert.deepEqual(parseRequestJson('{"a":"\\u00e4\\n\\"ö"}', keys), { a: 'ä\n"ö' });
});

test('agrees with JSON.parse on any JSON (but a __proto__ property, which it refuses on purpose)', () => {
  const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
  fc.assert(
    fc.property(json, (value) => {
      const text = JSON.stringify(value);
      const ours = parseRequestJson(text, new Map());
      const normalise = (v: unknown): unknown => {
        if (v instanceof ExactNumber) return Number(v.text);
        if (Array.isArray(v)) return v.map(normalise);
        if (v && typeof v === 'object') {
          const out: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = normalise(x);
          return out;
        }
        return v === -0 ? 0 : v;
      };
      assert.deepEqual(normalise(ours), normalise(JSON.parse(text)));
    }),
  );
});
