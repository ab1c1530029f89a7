/** Reading the operator's listener in tests: the exposition text as samples, and plain GETs. */
import { request } from 'node:http';

export type Samples = Map<string, number>;

/** `name{a="1",b="2"}` with the labels sorted by name: the key of a sample whatever order the text has them in. */
export function key(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

export function parseSamples(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.set(key(m[1]!, labels), m[3] === 'Nan' || m[3] === 'NaN' ? Number.NaN : Number(m[3]));
  }
  return out;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One plain-HTTP request (no keep-alive), answered or failed with the socket's error. */
export function plain(url: string, opts: { method?: string; path?: string } = {}): Promise<PlainResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: opts.path ?? (u.pathname + u.search), method: opts.method ?? 'GET', agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function scrape(metricsUrl: string): Promise<{ text: string; samples: Samples }> {
  const res = await plain(`${metricsUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`);
  return { text: res.text, samples: parseSamples(res.text) };
}

/** The increase of a sample between two scrapes (a sample absent before counts from 0). */
export function delta(before: Samples, after: Samples, k: string): number {
  return (after.get(k) ?? 0) - (before.get(k) ?? 0);
}

/** Scrapes until `ok` holds (a counter told after a commit may lag the client's view by a moment); fails after the deadline. */
export async function scrapeUntil(metricsUrl: string, ok: (s: Samples) => boolean, what: string, timeoutMs = 20_000): Promise<{ text: string; samples: Samples }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(metricsUrl);
    if (ok(s.samples)) return s;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
