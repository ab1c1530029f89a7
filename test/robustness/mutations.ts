/**
 * Naughty JSON: a valid request body as a small syntax tree (so that it can carry what
 * JSON.stringify cannot write: duplicate keys, raw control characters, numbers like 1e400),
 * and fast-check arbitraries of the ways a careless or hostile client breaks it.
 */
import fc from 'fast-check';

export type Node =
  | { t: 'obj'; entries: [string, Node][] }
  | { t: 'arr'; items: Node[] }
  /** raw: the characters are written as they are (control characters unescaped), not JSON-escaped. */
  | { t: 'str'; v: string; raw?: boolean }
  /** JSON text written verbatim: numbers, literals, nesting. */
  | { t: 'text'; text: string };

export function toNode(value: unknown): Node {
  if (value === null || value === undefined) return { t: 'text', text: 'null' };
  if (typeof value === 'string') return { t: 'str', v: value };
  if (typeof value === 'number' || typeof value === 'boolean') return { t: 'text', text: JSON.stringify(value) };
  if (Array.isArray(value)) return { t: 'arr', items: value.map(toNode) };
  return { t: 'obj', entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toNode(v)]) };
}

function rawString(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function serialize(n: Node): string {
  switch (n.t) {
    case 'obj':
      return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
    case 'arr':
      return `[${n.items.map(serialize).join(',')}]`;
    case 'str':
      return n.raw ? rawString(n.v) : JSON.stringify(n.v);
    case 'text':
      return n.text;
  }
}

type Path = (string | number)[];

/**
 * Every node with its path, the root first; a path step is a property index or an item index.
 * name is the path by property names, '*' for an item: how the body's schema names the place.
 */
export function nodesOf(root: Node): { path: Path; name: string; node: Node }[] {
  const out: { path: Path; name: string; node: Node }[] = [];
  const walk = (node: Node, path: Path, name: string) => {
    out.push({ path, name, node });
    if (node.t === 'obj') node.entries.forEach(([k, v], i) => walk(v, [...path, i], name ? `${name}.${k}` : k));
    if (node.t === 'arr') node.items.forEach((v, i) => walk(v, [...path, i], name ? `${name}.*` : '*'));
  };
  walk(root, [], '');
  return out;
}

/** What a place in a body is, by its JSON schema: free text, a number, a date, or a code value. */
export type PlaceKind = 'text' | 'number' | 'date' | 'code';

/** The kind of every place a body schema describes, by name (as nodesOf names them). */
export function placeKinds(schema: unknown): Map<string, PlaceKind> {
  const out = new Map<string, PlaceKind>();
  const walk = (node: unknown, name: string, depth: number): void => {
    if (!node || typeof node !== 'object' || depth > 20) return;
    const s = node as { type?: string; enum?: unknown[]; const?: unknown; format?: string; pattern?: string; anyOf?: unknown[]; oneOf?: unknown[]; properties?: Record<string, unknown>; items?: unknown };
    const options = s.anyOf ?? s.oneOf;
    if (options) {
      if (options.every((o) => (o as { enum?: unknown; const?: unknown }).enum !== undefined || (o as { const?: unknown }).const !== undefined)) out.set(name, 'code');
      else options.forEach((o) => walk(o, name, depth + 1));
      return;
    }
    if (s.enum || s.const !== undefined || s.pattern) out.set(name, 'code');
    else if (s.type === 'string') out.set(name, s.format === 'date' || s.format === 'date-time' ? 'date' : 'text');
    else if (s.type === 'number' || s.type === 'integer') out.set(name, 'number');
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, name ? `${name}.${k}` : k, depth + 1);
    if (s.items) walk(s.items, name ? `${name}.*` : '*', depth + 1);
  };
  walk(schema, '', 0);
  return out;
}

function clone(n: Node): Node {
  return structuredClone(n);
}

/** Replaces the node at path by fn(node); fn may return undefined to delete it. */
function update(root: Node, path: Path, fn: (n: Node) => Node | undefined): Node {
  if (path.length === 0) return fn(root) ?? { t: 'text', text: '' };
  const copy = clone(root);
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent.t === 'obj' ? parent.entries[step as number]![1] : (parent as { items: Node[] }).items[step as number]!;
  const last = path[path.length - 1] as number;
  if (parent.t === 'obj') {
    const next = fn(parent.entries[last]![1]);
    if (next) parent.entries[last]![1] = next;
    else parent.entries.splice(last, 1);
  } else if (parent.t === 'arr') {
    const next = fn(parent.items[last]!);
    if (next) parent.items[last] = next;
    else parent.items.splice(last, 1);
  }
  return copy;
}

function mapStrings(n: Node, fn: (s: { t: 'str'; v: string; raw?: boolean }) => Node): Node {
  if (n.t === 'str') return fn(n);
  if (n.t === 'obj') return { t: 'obj', entries: n.entries.map(([k, v]) => [k, mapStrings(v, fn)]) };
  if (n.t === 'arr') return { t: 'arr', items: n.items.map((v) => mapStrings(v, fn)) };
  return n;
}

function recase(name: string, bits: number): string {
  return [...name].map((c, i) => ((bits >> i % 30) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
}

function insertAt(s: string, ch: string, where: 'start' | 'middle' | 'end'): string {
  const at = where === 'start' ? 0 : where === 'end' ? s.length : Math.floor(s.length / 2);
  return s.slice(0, at) + ch + s.slice(at);
}

/** The control characters JSON and the contract allow nowhere in a text: U+0000..U+001F and U+007F. */
export const CONTROL_CHARACTERS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f'];
export const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

export const NAUGHTY_NUMBERS = [
  '1e400', '-1e400', '-0', '-0.0', '1e-400', '123456789012345678901234567890.123', '99999999999999999999.99', '123456789012345678901234567890',
  '2147483648', '-2147483649', '9007199254740993', '0.000000001', '1E2', '1e+2', '-1', '0', '1.5', '100.005', '4.9e-324', '1.7976931348623157e309',
];

const NAUGHTY_STRINGS = [
  '', ' ', '0000-01-01', '9999-12-31', '0001-01-01', '2025-02-30', '2025-13-01', '+275760-09-13', '2026-01-15T25:00:00Z', '1e400', 'NaN', 'Infinity', '-0',
  'true', 'null', '__proto__', 'constructor', 'x'.repeat(101), 'x'.repeat(201), 'x'.repeat(70_000), 'åäö ÅÄÖ', '\u2028\u2029', '\ufeff', '\ufffe', '\uffff',
  '😀', 'e\u0301', '\u202eevil', "' OR 1=1 --", '"; DROP TABLE loans; --', '${7*7}', '%00', '\\u0000', '010190-923e', '010190-923E ', ' 010190-923E',
];

/** A replacement value of any shape: wrong types, naughty texts, naughty numbers, nesting. */
export const naughtyValue: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...NAUGHTY_NUMBERS).map((text): Node => ({ t: 'text', text })),
  fc.constantFrom(...NAUGHTY_STRINGS).map((v): Node => ({ t: 'str', v })),
  fc.constantFrom('\u0000', '\ud800', ...CONTROL_CHARACTERS, ...LONE_SURROGATES).map((v): Node => ({ t: 'str', v: `a${v}b` })),
  fc.constantFrom('true', 'false', 'null', '[]', '{}', '[null]', '[[]]', '{"":{}}', '[1,"a",{}]').map((text): Node => ({ t: 'text', text })),
  fc.string({ unit: 'binary', maxLength: 40 }).map((v): Node => ({ t: 'str', v })),
  fc.integer({ min: 2, max: 2000 }).map((depth): Node => ({ t: 'text', text: '['.repeat(depth) + ']'.repeat(depth) })),
  fc.double().map((d): Node => ({ t: 'text', text: Number.isFinite(d) ? String(d) : '1e999' })),
);

export type Mutation =
  | { kind: 'replace'; pick: number; value: Node }
  | { kind: 'delete'; pick: number }
  | { kind: 'unknownProperty'; pick: number; name: string; value: Node }
  | { kind: 'duplicateKey'; pick: number; casing: number; sameValue: boolean }
  | { kind: 'recaseKeys'; casing: number }
  | { kind: 'charInEveryString'; ch: string; where: 'start' | 'middle' | 'end'; raw: boolean }
  | { kind: 'charInOneString'; pick: number; ch: string; where: 'start' | 'middle' | 'end'; raw: boolean }
  | { kind: 'charInText'; pick: number; ch: string; where: 'start' | 'middle' | 'end'; every: boolean }
  | { kind: 'naughtyText'; pick: number; value: string }
  | { kind: 'naughtyNumber'; pick: number; text: string }
  | { kind: 'naughtyDate'; pick: number; value: string }
  | { kind: 'truncate'; permille: number }
  | { kind: 'nest'; depth: number; open: '[' | '{"a":' };

/** NUL and lone surrogates are what PostgreSQL cannot store: they come up more often than the rest. */
const naughtyChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udfff') },
  { weight: 2, arbitrary: fc.constantFrom(...CONTROL_CHARACTERS, ...LONE_SURROGATES) },
);
const where = fc.constantFrom('start' as const, 'middle' as const, 'end' as const);

export const NAUGHTY_DATES = [
  '0000-01-01', '0001-01-01', '9999-12-31', '1899-12-31', '1000-01-01', '2025-02-29', '2024-02-29', '2025-02-30', '2025-13-01', '2025-00-10', '10000-01-01',
  '-0001-01-01', '+002025-01-01', '2025-1-1', '2025-01-01T00:00:00Z', '2025-01-01T24:00:00Z', '2026-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999Z',
];

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: naughtyValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unknownProperty' as const),
      pick: fc.nat(),
      name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', '', '\u0000', 'x'.repeat(1000), 'surprise'), fc.string({ maxLength: 10 })),
      value: naughtyValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicateKey' as const), pick: fc.nat(), casing: fc.nat(), sameValue: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recaseKeys' as const), casing: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('charInEveryString' as const), ch: naughtyChar, where, raw: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('charInOneString' as const), pick: fc.nat(), ch: naughtyChar, where, raw: fc.boolean() }) },
  // Where the contract's free texts, numbers and dates are (by the body's schema): what reaches the database.
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('charInText' as const), pick: fc.nat(), ch: naughtyChar, where, every: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('naughtyText' as const), pick: fc.nat(), value: fc.constantFrom(...NAUGHTY_STRINGS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('naughtyNumber' as const), pick: fc.nat(), text: fc.constantFrom(...NAUGHTY_NUMBERS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('naughtyDate' as const), pick: fc.nat(), value: fc.constantFrom(...NAUGHTY_DATES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), permille: fc.integer({ min: 0, max: 999 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 3000 }), open: fc.constantFrom('[' as const, '{"a":' as const) }) },
);

/**
 * A mutated body as text, and what the register must answer beyond the general promises:
 * 'A10' when the mutation makes the body something the contract refuses outright.
 */
/** Every place of a kind (by name, as the schema names it) set to fn(value): the systematic sweeps. */
export function setEvery(valid: unknown, kinds: ReadonlyMap<string, PlaceKind>, name: string, fn: (n: Node) => Node): string {
  let root = toNode(valid);
  for (const at of nodesOf(root).filter((x) => x.name === name)) root = update(root, at.path, fn);
  return serialize(root);
}

/** The names of the places of a kind in a body. */
export function placesOf(valid: unknown, kinds: ReadonlyMap<string, PlaceKind>, kind: PlaceKind): string[] {
  return [...new Set(nodesOf(toNode(valid)).filter((x) => kinds.get(x.name) === kind).map((x) => x.name))];
}

/** The body with ch inserted in every free text. */
export function inEveryText(valid: unknown, kinds: ReadonlyMap<string, PlaceKind>, ch: string): string {
  let root = toNode(valid);
  for (const at of nodesOf(root).filter((x) => kinds.get(x.name) === 'text')) root = update(root, at.path, (n) => (n.t === 'str' ? { t: 'str', v: insertAt(n.v, ch, 'middle') } : n));
  return serialize(root);
}

export function applyMutation(valid: unknown, m: Mutation, kinds: ReadonlyMap<string, PlaceKind> = new Map()): { text: string; expect?: 'A10' } {
  const root = toNode(valid);
  const all = nodesOf(root);
  const pick = <T>(items: T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);
  /** The places of a kind (by the schema; by the value's shape where no schema is known). */
  const places = (kind: PlaceKind) => {
    const known = all.filter((x) => kinds.get(x.name) === kind);
    if (known.length > 0 || kinds.size > 0) return known;
    return all.filter((x) => (kind === 'number' ? x.node.t === 'text' && /^-?\d/.test(x.node.text) : x.node.t === 'str'));
  };
  switch (m.kind) {
    case 'charInText': {
      const texts = places('text');
      const chosen = m.every ? texts : [pick(texts, m.pick)].filter((x) => x !== undefined);
      let next = root;
      for (const at of chosen) next = update(next, at.path, (n) => (n.t === 'str' ? { t: 'str', v: insertAt(n.v, m.ch, m.where) } : n));
      return { text: serialize(next) };
    }
    case 'naughtyText': {
      const at = pick(places('text'), m.pick);
      return { text: serialize(at ? update(root, at.path, () => ({ t: 'str', v: m.value })) : root) };
    }
    case 'naughtyNumber': {
      const at = pick(places('number'), m.pick);
      return { text: serialize(at ? update(root, at.path, () => ({ t: 'text', text: m.text })) : root) };
    }
    case 'naughtyDate': {
      const at = pick(places('date'), m.pick);
      return { text: serialize(at ? update(root, at.path, () => ({ t: 'str', v: m.value })) : root) };
    }
    case 'replace': {
      const at = pick(all, m.pick)!;
      return { text: serialize(update(root, at.path, () => m.value)) };
    }
    case 'delete': {
      const at = pick(all.slice(1), m.pick);
      return { text: serialize(at ? update(root, at.path, () => undefined) : root) };
    }
    case 'unknownProperty': {
      const objects = all.filter((x) => x.node.t === 'obj');
      const at = pick(objects, m.pick)!;
      const next = update(root, at.path, (n) => ({ t: 'obj', entries: [...(n as { entries: [string, Node][] }).entries, [m.name, m.value]] }));
      return { text: serialize(next) };
    }
    case 'duplicateKey': {
      const objects = all.filter((x) => x.node.t === 'obj' && x.node.entries.length > 0);
      const at = pick(objects, m.pick);
      if (!at) return { text: serialize(root) };
      const entries = (at.node as { entries: [string, Node][] }).entries;
      const [key, value] = entries[m.casing % entries.length]!;
      const twin: [string, Node] = [recase(key, m.casing), m.sameValue ? value : { t: 'text', text: '0' }];
      const next = update(root, at.path, () => ({ t: 'obj', entries: [...entries, twin] }));
      return { text: serialize(next), expect: 'A10' };
    }
    case 'recaseKeys': {
      const walk = (n: Node, depth: number): Node =>
        n.t === 'obj' ? { t: 'obj', entries: n.entries.map(([k, v], i) => [recase(k, m.casing + i + depth), walk(v, depth + 1)]) } : n.t === 'arr' ? { t: 'arr', items: n.items.map((v) => walk(v, depth + 1)) } : n;
      return { text: serialize(walk(root, 0)) };
    }
    case 'charInEveryString': {
      const next = mapStrings(root, (s) => ({ t: 'str', v: insertAt(s.v, m.ch, m.where), raw: m.raw }));
      const hasString = all.some((x) => x.node.t === 'str');
      return { text: serialize(next), ...(m.raw && m.ch < ' ' && hasString ? { expect: 'A10' as const } : {}) };
    }
    case 'charInOneString': {
      const strings = all.filter((x) => x.node.t === 'str');
      const at = pick(strings, m.pick);
      if (!at) return { text: serialize(root) };
      const next = update(root, at.path, (n) => ({ t: 'str', v: insertAt((n as { v: string }).v, m.ch, m.where), raw: m.raw }));
      return { text: serialize(next), ...(m.raw && m.ch < ' ' ? { expect: 'A10' as const } : {}) };
    }
    case 'truncate': {
      const text = serialize(root);
      return { text: text.slice(0, Math.floor((text.length * m.permille) / 1000)), expect: 'A10' };
    }
    case 'nest': {
      const close = m.open === '[' ? ']' : '}';
      return { text: m.open.repeat(m.depth) + serialize(root) + close.repeat(m.depth), expect: 'A10' };
    }
  }
}
