/**
 * A real browser for the e-service's tests (issue 12): playwright-core driving the machine's
 * Chromium (scripts/chromium.mjs finds or installs it; `npm test` passes its path as
 * PCR_CHROMIUM), one browser per test file. Every page a test reaches can be checked with
 * axe-core (WCAG 2.0/2.1 A and AA, and axe's best practices: zero violations) and photographed
 * to .test-cache/screenshots/<backend>/ (git-ignored).
 *
 * axe is injected with page.evaluate: code evaluated by the driver (the DevTools protocol) is not
 * subject to the page's Content-Security-Policy, so the e-service's strict policy stays in force
 * (no bypassCSP) and every check also asserts that the page was served with it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type Response } from 'playwright-core';
import { BACKEND } from './db.ts';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rule sets every page must pass with zero violations. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] as const;

export const SCREENSHOTS = join(process.cwd(), '.test-cache', 'screenshots', BACKEND);

export function chromiumPath(): string {
  const path = process.env.PCR_CHROMIUM;
  if (!path) throw new Error('PCR_CHROMIUM is not set: run the browser tests through npm test, which finds (or installs) Chromium (scripts/chromium.mjs)');
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  // Chromium's sandbox needs an unprivileged user namespace, which root does not get.
  const args = ['--disable-dev-shm-usage', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
  return chromium.launch({ executablePath: chromiumPath(), args });
}

export interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}
export interface AxeResult {
  violations: AxeViolation[];
  passes: { id: string }[];
  incomplete: { id: string; nodes: AxeNode[] }[];
}

/** Runs axe on the page as it is now. */
export async function axe(page: Page): Promise<AxeResult> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  return (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations', 'incomplete'] })`)) as AxeResult;
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `  ${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>\n${v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${n.html}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n')}`)
    .join('\n');
}

/**
 * A browser context (its own cookies) with one page, which remembers the response that delivered
 * the document now shown and the CSP violations the browser reported.
 */
export class BrowserSession {
  document: Response | undefined;
  readonly cspViolations: string[] = [];
  readonly consoleErrors: string[] = [];

  private constructor(readonly context: BrowserContext, readonly page: Page) {
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) this.document = r;
    });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // A document or resource answered with an error status (the tests assert statuses themselves; /favicon.ico is a 404).
      if (/Content.Security.Policy/i.test(m.text())) this.cspViolations.push(m.text());
      else if (!/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) this.consoleErrors.push(m.text());
    });
  }

  static async open(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserSession> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB', ...options });
    return new BrowserSession(context, await context.newPage());
  }

  /** Does `action` (a click, a key press) and waits until the document it leads to has loaded. */
  async navigate(action: () => Promise<unknown>): Promise<Response> {
    const before = this.document;
    const loaded = this.page.waitForEvent('load', { timeout: 10_000 });
    await action();
    await loaded;
    assert.ok(this.document && this.document !== before, 'a new document');
    return this.document;
  }

  async goto(url: string): Promise<Response> {
    const res = await this.page.goto(url);
    assert.ok(res);
    return this.document!;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export interface PageCheck {
  name: string;
  url: string;
  status: number;
  violations: AxeViolation[];
  incomplete: string[];
}

/**
 * Checks the page now shown: served with the strict CSP, `lang` as expected, no CSP violation
 * reported, a screenshot (<name>.png, the whole page), and axe's results, added to `checks`:
 * assertAccessible(checks) then asserts zero violations (all pages' at once, each one printed).
 */
export async function checkPage(s: BrowserSession, checks: PageCheck[], name: string, opts: { lang?: string } = {}): Promise<PageCheck> {
  const { page } = s;
  const doc = s.document;
  assert.ok(doc, `${name}: a document`);
  const csp = String(doc.headers()['content-security-policy'] ?? '');
  assert.match(csp, /default-src 'none'/, `${name}: served with the strict Content-Security-Policy`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src/, `${name}: no script allowed`);
  if (opts.lang) assert.equal(await page.evaluate('document.documentElement.lang'), opts.lang, `${name}: <html lang>`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const result = await axe(page);
  const check: PageCheck = { name, url: new URL(page.url()).pathname, status: doc.status(), violations: result.violations, incomplete: result.incomplete.map((i) => i.id) };
  checks.push(check);
  assert.deepEqual(s.cspViolations, [], `${name}: the browser reported no CSP violation`);
  return check;
}

/** One line per page checked: its violations (ids) and what axe could not decide (incomplete: to look at by hand). */
export function axeSummary(checks: PageCheck[]): string {
  return checks.map((c) => `axe ${c.name} ${c.url} (${c.status}): ${c.violations.length === 0 ? 'no violations' : c.violations.map((v) => `${v.id}×${v.nodes.length}`).join(', ')}${c.incomplete.length ? `; incomplete: ${c.incomplete.join(', ')}` : ''}`).join('\n');
}

/** Zero axe violations on every page checked; otherwise every violation of every page, with its rule, help and elements. */
export function assertAccessible(checks: PageCheck[]): void {
  assert.ok(checks.length > 0, 'some page was checked');
  const failing = checks.filter((c) => c.violations.length > 0);
  assert.equal(
    failing.length,
    0,
    `axe (${AXE_TAGS.join(', ')}) found violations on ${failing.length} of ${checks.length} pages:\n${failing.map((c) => `${c.name} (${c.url}):\n${describeViolations(c.violations)}`).join('\n')}`,
  );
}
