/**
 * The experiment report page's script (GET /admin/experiments/:id?seller=S, served by
 * functions/admin/experiment-page.ts, which inlines this bundle and allows it by hash).
 * It reads the secret key from the URL fragment (#key=sk_…) or a form, keeps it in
 * sessionStorage for this tab only, fetches the report with it and renders it with the
 * report view (report-view.ts), which the console's experiments page shares.
 */
import type { ErrorBody } from '../../core/errors/api-error.js';
import type { ExperimentReport } from '../../functions/experiments/report-types.js';
import { clearReport, renderReport } from './report-view.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const seller = params.get('seller') || '';
const parts = location.pathname.split('/');
let experimentId = '';
try {
  experimentId = decodeURIComponent(parts[parts.length - 1] || '');
} catch {
  experimentId = '';
}
const storageName = 'plusone.secretKey.' + seller;
let memoryKey: string | null = null;

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(storageName);
  } catch {
    return memoryKey;
  }
}
function storeKey(key: string | null): void {
  memoryKey = key;
  try {
    if (key === null) sessionStorage.removeItem(storageName);
    else sessionStorage.setItem(storageName, key);
  } catch {
    // storage disabled: memory only
  }
}
function status(text: string, kind?: string): void {
  const p = $('status');
  p.textContent = text;
  p.className = kind || '';
}
// ---- loading ----
function apiMessage(body: unknown): string {
  const error = (body as Partial<ErrorBody> | null)?.error;
  return error && typeof error.message === 'string' ? error.message : '';
}
function showError(code: number, body: unknown): void {
  const message = apiMessage(body);
  const suffix = message ? ': ' + message : '';
  if (code === 401) {
    storeKey(null);
    status('The key was refused (401)' + suffix + '. Enter a valid secret key of seller ' + seller + '.', 'error');
    askForKey();
  } else if (code === 403) {
    storeKey(null);
    status('This key may not read this report (403)' + suffix + '.', 'error');
    askForKey();
  } else if (code === 404) {
    status('Not found (404)' + suffix + '. Check the experiment id "' + experimentId + '" and the seller "' + seller + '".', 'error');
  } else if (code === 429) {
    status('Too many requests (429)' + suffix + '. Reload in a moment.', 'error');
  } else {
    status('The API answered ' + code + suffix + '.', 'error');
  }
}
function isReport(body: unknown): body is ExperimentReport {
  return typeof body === 'object' && body !== null && Boolean((body as Partial<ExperimentReport>).experiment);
}
async function load(key: string): Promise<void> {
  $('key-form').hidden = true;
  status('Loading the report…');
  const url = '/v1/sellers/' + encodeURIComponent(seller) + '/experiments/' + encodeURIComponent(experimentId) + '/report';
  try {
    const res = await fetch(url, { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store', credentials: 'omit' });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!res.ok) return showError(res.status, body);
    if (!isReport(body)) return status('The API sent something that is not a report.', 'error');
    status('');
    $('forget').hidden = false;
    renderReport(body);
  } catch (err) {
    const message = (err as { message?: unknown } | null)?.message;
    status('Could not load the report: ' + (message ? String(message) : String(err)), 'error');
  }
}
function askForKey(): void {
  $('key-form').hidden = false;
  $('key').focus();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('key');
  const key = input.value.trim();
  if (key.indexOf('sk_') !== 0) {
    status('The report needs a secret key (sk_…); publishable keys (pk_…) cannot read it.', 'error');
    return;
  }
  input.value = '';
  storeKey(key);
  void load(key);
});
$('forget').addEventListener('click', () => {
  storeKey(null);
  clearReport();
  $('forget').hidden = true;
  status('The key was removed from this tab.');
  askForKey();
});

function start(): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(seller)) {
    status('Add the seller to the address: ?seller=<seller id>.', 'error');
    return;
  }
  if (!experimentId) {
    status('The address has no experiment id: /admin/experiments/<id>?seller=<seller id>.', 'error');
    return;
  }
  $('heading').textContent = 'Experiment ' + experimentId + ' (seller ' + seller + ')';
  // A key in the fragment (never sent to a server) moves into this tab's storage and out of the address bar.
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('key');
  if (fromFragment) {
    storeKey(fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const key = storedKey();
  if (key) void load(key);
  else {
    status('Enter a secret key of seller ' + seller + ' to see the report.');
    askForKey();
  }
}

start();
