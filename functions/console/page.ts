import { CHART_JS_VERSION } from '../admin/assets.generated.js';
import { CHART_JS_PATH } from '../admin/chart-path.js';
import { REPORT_SECTION } from '../admin/report-markup.js';
import { CONSOLE_SCRIPT, CONSOLE_SCRIPT_HASH, CONSOLE_STYLE, CONSOLE_STYLE_HASH } from './console.generated.js';

// The console's script and stylesheet are web/console/main.ts and console.css, bundled by
// scripts/build-web.ts into console.generated.ts with their CSP hashes, and inlined below.
// The page is static and the same for every seller: it holds no data and no key; the script
// asks for the seller and the secret key, keeps them in this tab's sessionStorage and calls
// the public API (/v1/…) with them, as any client would.

const PAGES: [string, string][] = [
  ['overview', 'Overview'],
  ['models', 'Models'],
  ['preview', 'Preview'],
  ['experiments', 'Experiments'],
  ['install', 'Install'],
  ['customers', 'Customers'],
];

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PlusOne console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<style>${CONSOLE_STYLE}</style></head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
<p class="brand">PlusOne <span>console</span></p>
<p id="who" class="who" hidden></p>
<button id="sign-out" type="button" class="secondary" hidden>Sign out</button>
</header>
<nav id="nav" aria-label="Console pages" hidden><ul>
${PAGES.map(([id, label]) => `<li><a href="#${id}" id="nav-${id}">${label}</a></li>`).join('\n')}
</ul></nav>
<main id="main" tabindex="-1">
<p id="console-status" role="status" aria-live="polite"></p>
<section id="sign-in" aria-labelledby="sign-in-title" hidden>
<h1 id="sign-in-title">Sign in to the console</h1>
<form id="sign-in-form" novalidate>
<label for="sign-in-seller">Seller id</label>
<input id="sign-in-seller" name="seller" autocomplete="username" spellcheck="false" autocapitalize="off" required>
<label for="sign-in-key">Secret key (sk_…)</label>
<input id="sign-in-key" name="key" type="password" autocomplete="current-password" spellcheck="false" required aria-describedby="sign-in-help">
<button type="submit">Sign in</button>
<p id="sign-in-error" class="error" role="alert"></p>
<p id="sign-in-help" class="help">A secret key of the seller (<code>plusone keys create --type secret</code>). It stays in this browser tab
(sessionStorage, gone when the tab closes), travels only in the Authorization header of this API's requests, and does nothing the API would not do for it.</p>
</form>
</section>
${PAGES.map(([id, label]) => `<section id="page-${id}" class="page" aria-labelledby="title-${id}" hidden><h1 id="title-${id}" tabindex="-1">${label}</h1><div id="body-${id}" class="page-body"></div>${id === 'experiments' ? `<div id="report-wrap" hidden><p id="report-links"></p>${REPORT_SECTION}</div>` : ''}</section>`).join('\n')}
</main>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<form method="dialog">
<h2 id="confirm-title"></h2>
<p id="confirm-text"></p>
<div class="actions"><button id="confirm-cancel" value="cancel" class="secondary">Cancel</button> <button id="confirm-ok" value="ok" class="danger"></button></div>
</form>
</dialog>
<script src="${CHART_JS_PATH}?v=${CHART_JS_VERSION}"></script>
<script>${CONSOLE_SCRIPT}</script>
</body></html>`;

/**
 * The console's Content-Security-Policy: scripts from this origin plus the one inline script
 * (by hash), the inline stylesheet by hash, fetches to this origin only, images from this
 * origin or any https catalog, the widget's live preview (a same-origin srcdoc frame, which
 * inherits this policy), no framing of the console, no forms posted anywhere.
 */
const POLICY =
  `default-src 'none'; script-src 'self' '${CONSOLE_SCRIPT_HASH}'; style-src '${CONSOLE_STYLE_HASH}'; img-src 'self' https: data:; ` +
  `connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The page (functions/routes/console.ts serves it at /console). */
export { PAGE as CONSOLE_PAGE, POLICY as CONSOLE_POLICY };
