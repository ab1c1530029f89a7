/**
 * Writes client/src/generated.ts from the register's OpenAPI document (GET /openapi.json, made
 * by @fastify/swagger from the routes' TypeBox schemas): the routes, the batch operations with
 * their collections, the BatchReference pattern, and a request and answer type per operation.
 * A pure function of the document, so that test/client/schemas.test.ts can regenerate the file
 * from a running register and fail when the committed one differs (the server's schemas drifted).
 * Only the subset of JSON Schema that the register's schemas use is understood; anything else
 * becomes `unknown`, never a guess.
 */

export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  description?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  default?: unknown;
  'x-exact'?: boolean;
}

interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema; description?: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** `/certificates/sign` → `CertificatesSign`, `/error-codes` → `ErrorCodes`, `/AddLoans` → `AddLoans`. */
export function typeNameOf(path: string): string {
  return path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function docLines(s: JsonSchema): string[] {
  const notes: string[] = [];
  if (s.description) notes.push(s.description);
  if (s.format === 'date') notes.push('Date, yyyy-MM-dd.');
  if (s.format === 'date-time') notes.push('Date-time, ISO 8601.');
  if (s['x-exact']) notes.push('Exact number: at most two decimals for amounts, four for percentages.');
  const bounds: string[] = [];
  if (s.minLength !== undefined || s.maxLength !== undefined) bounds.push(`length ${s.minLength ?? 0}–${s.maxLength ?? '∞'}`);
  if (s.minimum !== undefined || s.maximum !== undefined) bounds.push(`${s.minimum ?? '−∞'}–${s.maximum ?? '∞'}`);
  if (s.minItems !== undefined) bounds.push(`at least ${s.minItems} item(s)`);
  if (s.pattern) bounds.push(`pattern ${s.pattern}`);
  if (bounds.length) notes.push(`Schema: ${bounds.join('; ')}.`);
  return notes;
}

function comment(lines: string[], pad: string): string {
  if (lines.length === 0) return '';
  const text = lines.join(' ').replace(/\*\//g, '*\\/');
  return `${pad}/** ${text} */\n`;
}

/** The TypeScript type of a schema, nested objects inline, indented by `depth`. */
export function typeOf(s: JsonSchema, depth = 0): string {
  const withNull = (t: string) => (s.nullable ? `${t} | null` : t);
  if (s.enum) return withNull(s.enum.map((v) => JSON.stringify(v)).join(' | '));
  if (s.anyOf) {
    const parts = [...new Set(s.anyOf.map((a) => typeOf(a, depth)))];
    return withNull(parts.join(' | '));
  }
  switch (s.type) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return withNull('Record<string, unknown>');
      const pad = '  '.repeat(depth + 1);
      const required = new Set(s.required ?? []);
      let out = '{\n';
      for (const [name, p] of props) {
        out += comment(docLines(p), pad);
        out += `${pad}${IDENT.test(name) ? name : JSON.stringify(name)}${required.has(name) ? '' : '?'}: ${typeOf(p, depth + 1)};\n`;
      }
      return withNull(`${out}${'  '.repeat(depth)}}`);
    }
    case 'array': {
      const item = s.items ? typeOf(s.items, depth) : 'unknown';
      return withNull(/^[A-Za-z]+$/.test(item) ? `${item}[]` : `Array<${item}>`);
    }
    case 'string':
      return withNull('string');
    case 'integer':
    case 'number':
      return withNull('number');
    case 'boolean':
      return withNull('boolean');
    case 'null':
      return 'null';
    default:
      return 'unknown';
  }
}

const ENVELOPE = new Set(['targetEnvironment', 'owner']);

export function generate(doc: OpenApiDocument): string {
  const routes: string[] = [];
  const batches: Record<string, string> = {};
  let batchPattern: string | undefined;
  let types = '';
  for (const [path, methods] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, op] of Object.entries(methods).sort(([a], [b]) => a.localeCompare(b))) {
      routes.push(`${method.toUpperCase()} ${path}`);
      const name = typeNameOf(path);
      const header = op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'batchreference');
      const request = op.requestBody?.content['application/json']?.schema;
      if (header && request) {
        batchPattern = header.schema.pattern;
        const collection = Object.entries(request.properties ?? {}).find(([k, v]) => !ENVELOPE.has(k) && v.type === 'array');
        if (collection) batches[name] = collection[0];
      }
      const summary = [op.summary, op.description].filter(Boolean) as string[];
      if (request) {
        types += `\n${comment([`${method.toUpperCase()} ${path}: the request body.`, ...summary], '')}export type ${name}Request = ${typeOf(request)};\n`;
      }
      for (const status of ['200', '202']) {
        const answer = op.responses?.[status]?.content?.['application/json']?.schema;
        if (answer) types += `\n${comment([`${method.toUpperCase()} ${path}: the ${status} answer.`], '')}export type ${name}Response = ${typeOf(answer)};\n`;
      }
    }
  }
  return (
    '// Generated by client/scripts/generate.ts from the register\'s OpenAPI document (GET /openapi.json).\n' +
    '// Do not edit: test/client/schemas.test.ts regenerates it from a running register and fails when it differs;\n' +
    '// PCR_UPDATE_CLIENT=1 on that test rewrites it.\n\n' +
    `/** Every route the register documents, as \`METHOD /path\`. */\nexport const SERVER_ROUTES = ${JSON.stringify(routes, null, 2).replace(/"/g, "'")} as const;\n\n` +
    `/** The batch operations and the property that carries their reports. */\nexport const BATCH_COLLECTIONS = ${JSON.stringify(batches, null, 2).replace(/"/g, "'")} as const;\n\n` +
    `/** The form of the BatchReference header. */\nexport const BATCH_REFERENCE_PATTERN = ${JSON.stringify(batchPattern ?? '')};\n` +
    types
  );
}
