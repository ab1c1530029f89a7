/**
 * The API reference (GET /openapi.json) is a valid OpenAPI document, every operation in it has
 * its success answer described with an example request and answer, each example validates
 * against the schema it sits under (with the server's own Ajv setup), /health and the error
 * catalogue are in it, and real answers of the register validate against the schemas it
 * documents (the schemas Fastify serialises with, so an answer that lost a property, or had one
 * the schema does not name, would show here or in the area tests that compare whole answers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CATALOGUE } from '../../src/common/errors.ts';
import { createAjv } from '../../src/http/app.ts';
import { schemaSerializer } from '../../src/http/serialize.ts';
import { ExactNumber } from '../../src/common/decimal.ts';
import { Type } from '@sinclair/typebox';
import { startTestRegister, ownerOf, type TestRegister } from '../helpers/register.ts';
import { getLoan, lumpSumLoan, report, testPerson } from '../helpers/reports.ts';

type Schema = Record<string, unknown>;
interface Media { schema: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }
interface Operation { requestBody?: { content: Record<string, Media> }; responses: Record<string, { content?: Record<string, Media> }> }
interface Document { openapi: string; paths: Record<string, Record<string, Operation>> }

let reg: TestRegister;
let doc: Document;
before(async () => {
  reg = await startTestRegister();
  doc = (await reg.anonymous().get<Document>('/openapi.json')).body;
});
after(() => reg.close());

const ajv = createAjv();
const examplesOf = (m: Media): unknown[] => [...(m.example !== undefined ? [m.example] : []), ...Object.values(m.examples ?? {}).map((e) => e.value)];
const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })));
/** Always 503 A90, to test a client's handling: it has no success answer by design. */
const NO_SUCCESS = new Set(['POST /Servicebreak']);

function answerSchema(path: string, method = 'post'): Schema {
  const responses = doc.paths[path]![method]!.responses;
  const media = (responses['200'] ?? responses['202'])!.content!['application/json']!;
  return media.schema;
}

function assertValid(schema: Schema, value: unknown, what: string): void {
  const validate = ajv.compile(schema);
  assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`);
}

test('the document passes the OpenAPI validator', async () => {
  assert.match(doc.openapi, /^3\.1\./);
  const result = await new Validator().validate(doc as never);
  assert.deepEqual(result.errors ?? [], [], 'validator errors');
  assert.equal(result.valid, true);
});

test('every operation has a success answer with a schema and an example, and a request example when it takes a body', () => {
  const ops = operations();
  assert.ok(ops.length >= 19, `${ops.length} operations`);
  for (const { name, op } of ops) {
    if (NO_SUCCESS.has(name)) {
      const refusal = op.responses['503']?.content?.['application/json'];
      assert.ok(refusal && examplesOf(refusal).length > 0, `${name}: its 503 has an example`);
      continue;
    }
    const success = op.responses['200'] ?? op.responses['202'];
    const media = success?.content?.['application/json'];
    assert.ok(media?.schema, `${name}: no 200/202 schema`);
    assert.ok(examplesOf(media).length > 0, `${name}: no answer example`);
    if (op.requestBody) assert.ok(examplesOf(op.requestBody.content['application/json']!).length > 0, `${name}: no request example`);
  }
});

test('every example validates against the schema it is shown with', () => {
  let checked = 0;
  for (const { name, op } of operations()) {
    for (const [where, media] of [
      ['request', op.requestBody?.content['application/json']],
      ...Object.entries(op.responses).map(([status, r]) => [status, r.content?.['application/json']] as const),
    ] as const) {
      if (!media) continue;
      for (const example of examplesOf(media)) {
        assertValid(media.schema, example, `${name} ${where} example`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 35, `${checked} examples checked`);
});

test('an example the schema does not allow is refused (the check can fail)', () => {
  const schema = doc.paths['/GetLoan']!.post!.requestBody!.content['application/json']!.schema;
  const validate = ajv.compile(schema);
  assert.equal(validate({ targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: '1234567-1' }, loanNumber: { type: 'Other' } }), false);
});

test('/health and the error catalogue are in the document, the catalogue with every code of the code', () => {
  const health = answerSchema('/health', 'get');
  assert.deepEqual(Object.keys(health.properties as object).sort(), ['environment', 'status']);
  const item = ((answerSchema('/error-codes', 'get').properties as Record<string, Schema>).errorCodes!.items as Schema).properties as Record<string, Schema>;
  assert.deepEqual(item.code!.enum, Object.keys(CATALOGUE));
});

test('GET /health answers without a client certificate, and matches its schema', async () => {
  const res = await reg.anonymous().get('/health');
  assert.equal(res.status, 200);
  assertValid(answerSchema('/health', 'get'), res.body, '/health');
  assertValid(answerSchema('/error-codes', 'get'), (await reg.anonymous().get('/error-codes')).body, '/error-codes');
});

test('real answers of GetLoan, the extract, whoami, IncomeFeed and ResetTestData match their documented schemas, amounts exact', async () => {
  const ref = await reg.organisation({
    roles: ['lender', 'income-source'],
    permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer'] }, { permission: 'income-feed' }],
  });
  const reporting = await reg.client(ref, 'reporting');
  const dataUse = await reg.client(ref, 'data-use');
  const envelope = { targetEnvironment: 'Test', owner: ownerOf(ref) };
  const person = testPerson();
  const loan = lumpSumLoan({
    borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }],
    defermentPeriods: [{ startDate: '2025-06-01', endDate: '2099-01-01' }],
    paymentPlan: { isInDebtArrangement: false },
    interest: { totalInterestRatePct: 4.0625, marginPct: 1.1, interestType: 'Euribor', interestDeterminationPeriod: 12 },
  });
  assert.equal((await report(reporting, ref, 'AddLoans', [loan])).batchStatus, 'FinishedSuccess');

  const got = await getLoan(reporting, ref, (loan.loanNumber as { number: string }).number);
  assert.equal(got.status, 200);
  assertValid(answerSchema('/GetLoan'), got.body, 'GetLoan');
  // Serialised by schema: the amounts are the numbers reported, written exactly.
  assert.match(got.text, /"totalInterestRatePct":4\.0625,"marginPct":1\.1,/);
  assert.deepEqual(got.body.loan.borrowers, loan.borrowers);

  const who = await reporting.get('/whoami');
  assertValid(answerSchema('/whoami', 'get'), who.body, 'whoami');

  const income = await reporting.post('/IncomeFeed', { ...envelope, incomeMonths: [{ idCode: person, year: 2020, month: 1, wagesGrossAmount: 1 }, { idCode: person, year: 2020, month: 13 }] });
  assert.equal(income.status, 200);
  assertValid(answerSchema('/IncomeFeed'), income.body, 'IncomeFeed');
  assert.equal((income.body as { rejected: { errorResponses: unknown[] }[] }).rejected[0]!.errorResponses.length > 0, true);

  const extract = await dataUse.post('/GetCreditRegisterExtract', { ...envelope, request: { idCodeType: 'PersonalIdentityCode', idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: 'x' } });
  assert.equal(extract.status, 200);
  assertValid(answerSchema('/GetCreditRegisterExtract'), extract.body, 'extract');

  const reset = await reporting.post('/ResetTestData', envelope);
  assert.equal(reset.status, 200);
  assertValid(answerSchema('/ResetTestData'), reset.body, 'ResetTestData');
  assert.deepEqual((reset.body as { deleted: unknown }).deleted, { loans: 1, batches: 1 });
});

test("GetBatchStatus's refusal keeps batchReference and batchStatus (serialised by its refusal schema)", async () => {
  const { ref, client } = await reg.lender();
  const res = await client.post('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(ref), batchReference: 'no-such-batch' });
  assert.equal(res.status, 400);
  assert.deepEqual({ ...(res.body as object), correlationId: 'x' }, {
    statusMessage: 'The request was rejected',
    correlationId: 'x',
    errorResponses: [{ fieldName: 'batchReference', errorCode: 'A40', errorDescription: 'No batch with that reference from this owner' }],
    batchReference: 'no-such-batch',
    batchStatus: 'NotFound',
  });
});

test("answers are written from their schema: its properties in its order, unnamed ones left out unless the object is open, exact numbers exact", () => {
  const schema = Type.Object({
    b: Type.Optional(Type.Number()),
    a: Type.Number(),
    list: Type.Array(Type.Object({ x: Type.String() })),
    maybe: Type.Union([Type.Object({ y: Type.Integer() }), Type.Null()]),
    open: Type.Object({ named: Type.Boolean() }, { additionalProperties: true }),
  });
  const write = schemaSerializer(schema);
  const text = write({ secret: 'not documented', a: new ExactNumber('1234567890123.45'), open: { extra: [1], named: true }, list: [{ x: 'x', z: 1 }], maybe: { y: 2, w: 3 }, b: 0.1 });
  assert.equal(text, '{"b":0.1,"a":1234567890123.45,"list":[{"x":"x"}],"maybe":{"y":2},"open":{"named":true,"extra":[1]}}');
  assert.equal(write({ a: 1, list: [], maybe: null, open: { named: false } }), '{"a":1,"list":[],"maybe":null,"open":{"named":false}}');
});
