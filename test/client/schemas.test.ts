/**
 * The client library (client/) kept in step with the server: its generated types are the
 * server's OpenAPI document regenerated (PCR_UPDATE_CLIENT=1 rewrites them, and the prebuilt
 * dist/), its operation list is the server's routes, each generated request type requires exactly
 * what the schema requires, the hand-written answer types have the keys of real answers, and
 * plain JavaScript (no tsx) can use the prebuilt package.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { issueCertificate } from '../../src/access/certificates.ts';
import { writeCertFiles } from '../../src/cli/client-certs.ts';
import { generate, typeNameOf, type JsonSchema, type OpenApiDocument } from '../../client/scripts/generate.ts';
import { OPERATIONS, RegisterClient, type CreditRegisterExtract, type ExtractLoan, type GetLoanAnswer, type IncomeFeedAnswer, type LoanReport, type WhoAmIAnswer } from '../../client/src/index.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, testPerson } from '../helpers/reports.ts';
import { tempDir } from '../helpers/temp.ts';

const root = fileURLToPath(new URL('../../client/', import.meta.url));
const update = process.env.PCR_UPDATE_CLIENT === '1';

let reg: TestRegister;
let doc: OpenApiDocument;
let dir: string;
before(async () => {
  reg = await startTestRegister();
  doc = (await reg.anonymous().get<OpenApiDocument>('/openapi.json')).body;
  dir = tempDir('pcr-client-schemas-');
});
after(async () => {
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

test("client/src/generated.ts is the server's OpenAPI document regenerated (a schema changed on the server: regenerate with PCR_UPDATE_CLIENT=1)", () => {
  const file = join(root, 'src/generated.ts');
  const fresh = generate(doc);
  if (update) writeFileSync(file, fresh);
  assert.equal(readFileSync(file, 'utf8'), fresh);
});

test("the client's operations are exactly the server's routes, each with its method on RegisterClient", () => {
  const server = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const mine = Object.values(OPERATIONS).map((o) => `${o.method} ${o.path}`).sort();
  assert.deepEqual(mine, server);
  for (const [name, o] of Object.entries(OPERATIONS)) {
    assert.equal(typeof (RegisterClient.prototype as unknown as Record<string, unknown>)[o.clientMethod], 'function', `${name}: RegisterClient.${o.clientMethod}`);
  }
  // Sending twice must be harmless where the client resends after a broken connection.
  assert.deepEqual(Object.entries(OPERATIONS).filter(([, o]) => !o.idempotent).map(([n]) => n).sort(), ['GetCreditRegisterExtract', 'OrderData', 'RenewCertificate', 'RetrieveCertificate']);
});

test("each generated request and answer type requires exactly the schema's required properties, at every depth", () => {
  const file = join(root, 'src/generated.ts');
  const program = ts.createProgram([file], { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const aliases = new Map<string, ts.Type>();
  ts.forEachChild(source, (n) => {
    if (ts.isTypeAliasDeclaration(n)) aliases.set(n.name.text, checker.getTypeAtLocation(n.name));
  });
  const objectPart = (t: ts.Type): ts.Type | undefined => (t.isUnion() ? t.types.find((u) => (u.flags & ts.TypeFlags.Object) !== 0) : t.flags & ts.TypeFlags.Object ? t : undefined);
  let compared = 0;
  const walk = (schema: JsonSchema, type: ts.Type, where: string): void => {
    const t = objectPart(type);
    if (schema.type === 'array' && schema.items && t) {
      const item = checker.getTypeArguments(t as ts.TypeReference)[0];
      if (item) walk(schema.items, item, `${where}[]`);
      return;
    }
    if (schema.type !== 'object' || !schema.properties || !t) return;
    const props = checker.getPropertiesOfType(t);
    assert.deepEqual(props.map((p) => p.name).sort(), Object.keys(schema.properties).sort(), `${where}: properties`);
    const required = props.filter((p) => (p.flags & ts.SymbolFlags.Optional) === 0).map((p) => p.name).sort();
    assert.deepEqual(required, [...(schema.required ?? [])].sort(), `${where}: required properties`);
    compared++;
    for (const p of props) walk(schema.properties[p.name]!, checker.getTypeOfSymbolAtLocation(p, source), `${where}.${p.name}`);
  };
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const op of Object.values(methods) as { requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses?: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }[]) {
      const name = typeNameOf(path);
      const request = op.requestBody?.content['application/json']?.schema;
      if (request) walk(request, aliases.get(`${name}Request`)!, `${name}Request`);
      const answer = op.responses?.['200']?.content?.['application/json']?.schema ?? op.responses?.['202']?.content?.['application/json']?.schema;
      if (answer) walk(answer, aliases.get(`${name}Response`)!, `${name}Response`);
    }
  }
  assert.ok(compared > 50, `${compared} object types compared`);
});

/** The keys of each hand-written answer type (the compiler checks that these lists are the types' keys, no more, no fewer). */
const WHOAMI = { organisation: true, certificate: true, permissions: true } satisfies Record<keyof WhoAmIAnswer, true>;
const GET_LOAN = { statusMessage: true, correlationId: true, loan: true } satisfies Record<keyof GetLoanAnswer, true>;
const INCOME = { statusMessage: true, correlationId: true, acceptedCount: true, rejectedCount: true, rejected: true } satisfies Record<keyof IncomeFeedAnswer, true>;
const EXTRACT = {
  extractReference: true, creationTimeUtc: true, personRequested: true, owner: true, creditRegisterExtractPurpose: true, lenderReference: true,
  deceasedPerson: true, voluntaryBanOnCredits: true, creditInformationSummary: true, loans: true, guaranteedLoans: true, incomeData: true,
} satisfies Record<keyof CreditRegisterExtract, true>;
const EXTRACT_LOAN = {
  loanType: true, contractDate: true, borrowersCount: true, currencyCode: true, consumerCredit: true, isLoanWithCollateral: true, collaterals: true,
  interest: true, defermentPeriods: true, paymentPlan: true, lumpSumLoan: true, runningAccountLoan: true, leasingContract: true,
  repaymentsPaidLast: true, delayedAmounts: true, isForeclosed: true, foreclosureDate: true, businessInformation: true,
} satisfies Record<keyof ExtractLoan, true>;

const within = (answer: object, keys: object, what: string) => {
  const extra = Object.keys(answer).filter((k) => !(k in keys));
  assert.deepEqual(extra, [], `${what}: properties the client's type does not know`);
};

test('the hand-written answer types (no schema on the server) have the properties of real answers', async () => {
  const ref = await reg.organisation({ roles: ['lender', 'income-source'], permissions: [{ permission: 'reporting' }, { permission: 'extract', purposes: ['consumer'] }, { permission: 'income-feed' }] });
  const folder = (usage: 'reporting' | 'data-use') =>
    issueCertificate(reg.register.db, reg.register.ca, ref, usage, 'Test').then((i) => writeCertFiles(join(dir, usage), i.keyPem, i.certPem, i.caPem).dir);
  const reporting = new RegisterClient({ url: reg.url, certDir: await folder('reporting') });
  const dataUse = new RegisterClient({ url: reg.url, certDir: await folder('data-use') });
  try {
    const person = testPerson();
    const l = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }], defermentPeriods: [{ startDate: '2025-06-01', endDate: '2099-01-01' }], paymentPlan: { isInDebtArrangement: false } }) as unknown as LoanReport;
    assert.equal((await reporting.submitBatchAndWait('AddLoans', [l])).batchStatus, 'FinishedSuccess');
    const who = await reporting.whoami();
    within(who, WHOAMI, 'whoami');
    const loan = await reporting.getLoan(l.loanNumber);
    within(loan, GET_LOAN, 'GetLoan');
    const income = await reporting.incomeFeed([{ idCode: person, year: 2020, month: 1, wagesGrossAmount: 1 }]);
    within(income, INCOME, 'IncomeFeed');
    const { creditRegisterExtract: extract } = await dataUse.getCreditRegisterExtract({ idCode: person, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: 'x' });
    within(extract, EXTRACT, 'extract');
    assert.equal(extract.loans.length, 1);
    within(extract.loans[0]!, EXTRACT_LOAN, 'extract loan');
  } finally {
    reporting.close();
    dataUse.close();
  }
});

test('client/dist is the TypeScript source compiled (PCR_UPDATE_CLIENT=1 rebuilds it), and plain JavaScript uses it against a real register', async () => {
  const out = join(dir, 'dist');
  const tsc = spawnSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', join(root, 'tsconfig.json'), '--outDir', update ? join(root, 'dist') : out], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  if (!update) {
    const built = readdirSync(out).sort();
    assert.deepEqual(readdirSync(join(root, 'dist')).sort(), built, 'the same files');
    for (const f of built) assert.equal(readFileSync(join(root, 'dist', f), 'utf8'), readFileSync(join(out, f), 'utf8'), `dist/${f} is out of date: run PCR_UPDATE_CLIENT=1 on this test, or npm run build in client/`);
  }

  const ref = await reg.organisation({ permissions: [{ permission: 'reporting' }] });
  const issued = await issueCertificate(reg.register.db, reg.register.ca, ref, 'reporting', 'Test');
  const certs = writeCertFiles(join(dir, 'js'), issued.keyPem, issued.certPem, issued.caPem).dir;
  const script = `
    import { RegisterClient } from ${JSON.stringify(join(root, 'dist/index.js'))};
    const client = new RegisterClient({ url: process.argv[1], certDir: process.argv[2] });
    const sent = await client.addLoans([JSON.parse(process.argv[3])]);
    const status = await client.waitForBatch(sent.batchReference);
    console.log(JSON.stringify({ owner: (await client.envelope()).owner.idCode, status: status.batchStatus }));
    client.close();`;
  // No tsx: plain Node runs the prebuilt JavaScript (spawned, not spawnSync: the register answers from this process).
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, reg.url, certs, JSON.stringify(lumpSumLoan())], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => void (stdout += c));
  child.stderr.on('data', (c: Buffer) => void (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { owner: ref.idCode, status: 'FinishedSuccess' });
});
