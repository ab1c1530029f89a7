/**
 * A minimal browser for the e-service's tests: HTTPS trusting the register's CA, a cookie jar
 * that keeps the attributes each cookie was set with, manual redirects (every URL visited is
 * recorded), and forms posted as a browser posts them.
 */
import https from 'node:https';

export interface WebResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  url: string;
}

export interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
}

export class WebClient {
  readonly jar = new Map<string, SetCookie>();
  readonly visited: string[] = [];
  readonly setCookies: SetCookie[] = [];
  readonly agent: https.Agent;

  constructor(readonly ca: string, readonly language = 'en') {
    this.agent = new https.Agent({ ca, keepAlive: false });
  }

  request(method: string, url: string, form?: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<WebResponse> {
    this.visited.push(url);
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const cookie = [...this.jar.values()].map((c) => `${c.name}=${c.value}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = https.request(url, {
        method,
        agent: this.agent,
        headers: {
          'accept-language': this.language,
          ...(cookie ? { cookie } : {}),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), origin: new URL(url).origin } : {}),
          ...extraHeaders,
        },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          for (const line of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [pair, ...attributes] = line.split(';').map((s) => s.trim());
            const i = pair!.indexOf('=');
            const c = { name: pair!.slice(0, i), value: pair!.slice(i + 1), attributes };
            this.setCookies.push(c);
            if (c.value === '' || attributes.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(c.name);
            else this.jar.set(c.name, c);
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: text, url });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  get(url: string): Promise<WebResponse> {
    return this.request('GET', url);
  }

  /** GETs `url`, then follows redirects (303 and 302 as GET), up to 20; the last answer. */
  async follow(first: WebResponse | string, base?: string): Promise<WebResponse> {
    let res = typeof first === 'string' ? await this.get(first) : first;
    for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) {
      res = await this.get(new URL(String(res.headers.location), base ?? res.url).href);
    }
    return res;
  }

  /** Posts a form of the page (the form whose action is `action`, its hidden fields with `fields` added) and follows the redirects. */
  async submit(page: WebResponse, action: string, fields: Record<string, string> = {}): Promise<WebResponse> {
    const form = formOf(page.body, action);
    const res = await this.request('POST', new URL(action, page.url).href, { ...form, ...fields });
    return this.follow(res);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The hidden fields of the form with this action in a page. */
export function formOf(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form with action ${action}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&');
  return fields;
}

/** The action of the first form in a page whose action starts with `prefix`. */
export function actionOf(html: string, prefix: string): string {
  const m = new RegExp(`<form method="post" action="(${prefix.replace(/[/.]/g, '\\$&')}[^"]*)"`).exec(html);
  if (!m) throw new Error(`no form with an action under ${prefix}`);
  return m[1]!;
}
