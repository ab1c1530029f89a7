import { ExactNumber } from '../common/decimal.ts';
import { RegisterError } from '../common/errors.ts';

/**
 * The request body parser. JSON.parse cannot do what the contract needs, so this one:
 * - matches property names case-insensitively, rewriting them to the canonical spelling
 *   found in the API schemas (.NET clients send PascalCase);
 * - refuses the same property twice in one object, in any casing (A10, naming it);
 * - drops properties whose value is null (null is the same as absent);
 * - keeps numbers that are not small integers as ExactNumber, so that amounts are
 *   judged and stored from their exact text;
 * - refuses what the register could not store or a reader could misread (A10): control
 *   characters (U+0000–U+001F) other than tab, line feed and carriage return, written as \u
 *   escapes (raw ones are not JSON at all), and UTF-16 surrogates that do not pair up (PostgreSQL stores text as
 *   UTF-8, which has no form for them);
 * - refuses nesting deeper than MAX_JSON_DEPTH (A10) instead of exhausting the stack.
 * Used by the HTTP request parser and by the reporting worker reading a stored batch.
 */

/**
 * The deepest nesting of arrays and objects accepted. The deepest message of the contract
 * (a loan report's borrowers, collaterals …) nests 5 levels; 64 leaves room and stays far
 * from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;
export type KeyDictionary = ReadonlyMap<string, string>;

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly path: string | undefined,
  ) {
    super(message);
  }
}

export function parseRequestJson(text: string, keys: KeyDictionary): unknown {
  const p = new Parser(text, keys);
  try {
    p.ws();
    const value = p.value();
    p.ws();
    if (p.i < text.length) p.fail('Unexpected content after the JSON value');
    return value === NULL ? null : value;
  } catch (err) {
    if (err instanceof ParseFailure) throw new RegisterError('A10', err.message, err.path);
    throw err;
  }
}

const NULL = Symbol('null');

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

class Parser {
  i = 0;
  private depth = 0;
  private readonly path: (string | number)[] = [];
  constructor(
    private readonly s: string,
    private readonly keys: KeyDictionary,
  ) {}

  fail(message: string): never {
    throw new ParseFailure(`${message} (at character ${this.i})`, this.pathText());
  }

  pathText(): string | undefined {
    let out = '';
    for (const seg of this.path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
    return out || undefined;
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  value(): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === 123 || c === 91) {
      if (++this.depth > MAX_JSON_DEPTH) this.fail(`Nesting deeper than ${MAX_JSON_DEPTH} levels`);
      const nested = c === 123 ? this.object() : this.array();
      this.depth--;
      return nested;
    }
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.s.startsWith('true', this.i)) return (this.i += 4), true;
    if (this.s.startsWith('false', this.i)) return (this.i += 5), false;
    if (this.s.startsWith('null', this.i)) return (this.i += 4), NULL;
    if (this.i >= this.s.length) this.fail('Unexpected end of JSON');
    return this.fail('Unexpected character');
  }

  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.s.charCodeAt(this.i) !== 34) this.fail('Expected a property name');
      const raw = this.string();
      const key = this.keys.get(raw.toLowerCase()) ?? raw;
      this.path.push(key);
      if (key === '__proto__') this.fail(`Unknown property ${raw}`);
      if (Object.prototype.hasOwnProperty.call(out, key) || this.seenNull(out, key)) this.fail(`Property ${raw} appears twice`);
      this.ws();
      if (this.s.charCodeAt(this.i) !== 58) this.fail("Expected ':'");
      this.i++;
      this.ws();
      const v = this.value();
      if (v === NULL) this.markNull(out, key);
      else out[key] = v;
      this.path.pop();
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 125) {
        this.i++;
        return out;
      }
      this.fail("Expected ',' or '}'");
    }
  }

  // Null-valued properties are dropped, but still count for duplicate detection.
  private nulls = new WeakMap<object, Set<string>>();
  private seenNull(obj: object, key: string): boolean {
    return this.nulls.get(obj)?.has(key) ?? false;
  }
  private markNull(obj: object, key: string): void {
    let set = this.nulls.get(obj);
    if (!set) this.nulls.set(obj, (set = new Set()));
    set.add(key);
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return out;
    }
    for (;;) {
      this.path.push(out.length);
      const v = this.value();
      out.push(v === NULL ? null : v);
      this.path.pop();
      this.ws();
      const c = this.s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        this.ws();
        continue;
      }
      if (c === 93) {
        this.i++;
        return out;
      }
      this.fail("Expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === 92) break;
      if (c < 32 || Number.isNaN(c)) {
        this.i = i;
        this.fail(Number.isNaN(c) ? 'Unterminated string' : 'Control character in string');
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // A raw surrogate must be the high half of a pair (text decoded from UTF-8 never has a lone one).
        if (c > 0xdbff || !isLowSurrogate(s.charCodeAt(i + 1))) {
          this.i = i;
          this.fail('Unpaired UTF-16 surrogate in string');
        }
        i++;
      }
      i++;
    }
    // Slow path with escapes.
    let out = s.slice(start, i);
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return out;
      }
      if (Number.isNaN(c) || c < 32) {
        this.i = i;
        this.fail(Number.isNaN(c) ? 'Unterminated string' : 'Control character in string');
      }
      if (c !== 92) {
        if (c >= 0xd800 && c <= 0xdfff) {
          if (c > 0xdbff || !isLowSurrogate(s.charCodeAt(i + 1))) {
            this.i = i;
            this.fail('Unpaired UTF-16 surrogate in string');
          }
          out += s.slice(i, i + 2);
          i += 2;
          continue;
        }
        out += s[i];
        i++;
        continue;
      }
      const e = s[i + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b':
        case 'f':
          this.i = i;
          this.fail(`Control character \\${e} in string`);
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = i;
            this.fail('Bad \\u escape');
          }
          const code = parseInt(hex, 16);
          if (code < 32 && code !== 9 && code !== 10 && code !== 13) {
            this.i = i;
            this.fail(`Control character \\u${hex} in string`);
          }
          if (code >= 0xd800 && code <= 0xdfff) {
            // Escaped surrogates must come as a pair: \uD83D\uDE00.
            const low = s.slice(i + 6, i + 12);
            if (code > 0xdbff || !/^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(low)) {
              this.i = i;
              this.fail(`Unpaired UTF-16 surrogate \\u${hex} in string`);
            }
            out += String.fromCharCode(code, parseInt(low.slice(2), 16));
            i += 10;
            break;
          }
          out += String.fromCharCode(code);
          i += 4;
          break;
        }
        default:
          this.i = i;
          this.fail('Bad escape in string');
      }
      i += 2;
    }
  }

  number(): number | ExactNumber {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    let c = s.charCodeAt(i);
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) while ((c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    else {
      this.i = i;
      this.fail('Bad number');
    }
    let plainInteger = true;
    if (s.charCodeAt(i) === 46) {
      plainInteger = false;
      i++;
      const d = i;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
      if (i === d) {
        this.i = i;
        this.fail('Bad number');
      }
    }
    c = s.charCodeAt(i);
    if (c === 101 || c === 69) {
      plainInteger = false;
      i++;
      c = s.charCodeAt(i);
      if (c === 43 || c === 45) i++;
      const d = i;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
      if (i === d) {
        this.i = i;
        this.fail('Bad number');
      }
    }
    this.i = i;
    const text = s.slice(start, i);
    if (plainInteger && text.length <= 15) return Number(text);
    return new ExactNumber(text);
  }
}

/** Collects every property name of a JSON schema, lower-cased → canonical. */
export function collectSchemaKeys(schema: unknown, into: Map<string, string>): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(walk);
    const obj = node as Record<string, unknown>;
    if (obj.properties && typeof obj.properties === 'object') {
      for (const k of Object.keys(obj.properties)) into.set(k.toLowerCase(), k);
    }
    for (const v of Object.values(obj)) walk(v);
  };
  walk(schema);
}
