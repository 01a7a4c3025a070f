/**
 * What the browser tests share: Chromium (the system's, driven by playwright-core), a
 * record of everything a page reports as a problem, and a second origin that serves test
 * pages (a storefront embedding the widget from the edge).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests are skipped here, or null when they run (CI always runs them). */
export function skipReason(): string | null {
  if (existsSync(CHROMIUM) || process.env.CI) return null;
  return `${CHROMIUM} is missing (apt-get install chromium); CI runs these tests`;
}

/** Headless Chromium with nothing running in the background. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Runs in the page before any script: records every console.error / console.warn call
// and every uncaught error or rejection, whoever causes it.
const WATCH = `(() => {
  const seen = (window.__problems = []);
  for (const level of ['error', 'warn']) {
    const original = console[level].bind(console);
    console[level] = (...args) => { seen.push(level + ': ' + args.map(String).join(' ')); original(...args); };
  }
  addEventListener('error', (e) => seen.push('error event: ' + e.message));
  addEventListener('unhandledrejection', (e) => seen.push('unhandled rejection: ' + String(e.reason)));
})();`;

/** Problems a page reported: console errors and warnings, uncaught errors. */
export interface PageProblems {
  /** Console messages of type error or warning, except the browser's own network log. */
  console: string[];
  /** The browser's network log ("Failed to load resource: …"), which no script can prevent. */
  network: string[];
  pageErrors: string[];
  /** What the page's scripts did, recorded inside the page. */
  inPage(): Promise<string[]>;
}

/** Starts recording a page's problems; call before navigating. */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const p: PageProblems = {
    console: [],
    network: [],
    pageErrors: [],
    inPage: () => page.evaluate('window.__problems ?? []') as Promise<string[]>,
  };
  await page.addInitScript(WATCH);
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    (m.text().startsWith('Failed to load resource:') ? p.network : p.console).push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => p.pageErrors.push(e.message));
  return p;
}

/**
 * A second origin: serves registered HTML pages, and passes /demo/… on to the edge (the
 * demo catalog's urls and images are paths, which the widget resolves against the page,
 * as a storefront's own catalog paths would be); 404 for anything else.
 */
export interface ShopServer {
  origin: string;
  /** Registers a page and returns its URL. */
  page(path: string, html: string): string;
  close(): Promise<void>;
}

export async function startShop(edge: string): Promise<ShopServer> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/demo/')) {
      fetch(edge + url)
        .then(async (r) => {
          res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/octet-stream' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
      return;
    }
    const html = pages.get(url.split('?')[0]);
    res.writeHead(html === undefined ? 404 : 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    page(path, html) {
      pages.set(path, html);
      return origin + path;
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/** Escapes a value for an HTML attribute. */
export function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** A storefront page that embeds the widget with these `data-*` attributes (and the page's own `extra` HTML). */
export function shopPage(scriptSrc: string, data: Record<string, string>, extra = ''): string {
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${attr(v)}"`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>shop</title></head>
<body><h1>A shop</h1><div id="plusone"></div><p id="after">after the widget</p>${extra}
<script async src="${attr(scriptSrc)}"${attrs}></script></body></html>`;
}
