import { CHART_JS_VERSION } from './assets.generated.js';
import { CHART_JS_PATH } from './chart-path.js';
import { REPORT_SECTION } from './report-markup.js';
import { REPORT_PAGE_SCRIPT, REPORT_PAGE_SCRIPT_HASH, REPORT_PAGE_STYLE, REPORT_PAGE_STYLE_HASH } from './report-page.generated.js';

/** Where the page loads Chart.js from. */
export { CHART_JS_PATH };

// The page's script and stylesheet are web/admin/report-page.ts and report-page.css, bundled by
// scripts/build-web.ts into report-page.generated.ts with their CSP hashes, and inlined below.

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PlusOne experiment report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<style>${REPORT_PAGE_STYLE}</style></head>
<body>
<h1 id="heading">Experiment report</h1>
<p id="status" role="status">Loading…</p>
<form id="key-form" hidden>
<label for="key">Secret key (sk_…)</label>
<input id="key" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Show the report</button>
<p><small>The key stays in this browser tab (sessionStorage) and is sent only to this API. You can also open the page as
<code>…#key=sk_…</code>: the part after # never leaves the browser.</small></p>
</form>
<button id="forget" type="button" hidden>Forget the key</button>
${REPORT_SECTION}
<script src="${CHART_JS_PATH}?v=${CHART_JS_VERSION}"></script>
<script>${REPORT_PAGE_SCRIPT}</script>
</body></html>`;

const POLICY =
  `default-src 'none'; script-src 'self' '${REPORT_PAGE_SCRIPT_HASH}'; style-src '${REPORT_PAGE_STYLE_HASH}'; connect-src 'self'; ` +
  `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/**
 * The page's Content-Security-Policy: scripts from this origin plus the one inline script
 * (by hash), the inline stylesheet by hash, fetch to this origin only, no framing, no forms
 * posted anywhere. The hashes are computed at build time (scripts/build-web.ts).
 */
export function experimentPagePolicy(): Promise<string> {
  return Promise.resolve(POLICY);
}

/** The page: the same for every experiment and seller (functions/routes/admin-pages.ts serves it). */
export { PAGE as EXPERIMENT_PAGE };
