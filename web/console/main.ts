/**
 * The seller console's script (GET /console, functions/console/page.ts inlines it): the
 * sign-in with a secret key, the navigation between the pages (the URL's fragment names the
 * page, never the key), and each page's renderer (./pages/). Every figure and action goes
 * through the public API with the session's key (./api.ts).
 */
import { Api, ApiFailure, explainKeyRefusal, KEY_PATTERN, loadSession, SELLER_PATTERN, saveSession, whenKeyRefused, type Session } from './api.js';
import { byId } from './dom.js';
import type { PageContext } from './page.js';
import { renderCustomers } from './pages/customers.js';
import { renderExperiments } from './pages/experiments.js';
import { renderInstall } from './pages/install.js';
import { renderModels } from './pages/models.js';
import { renderOverview } from './pages/overview.js';
import { renderPreview } from './pages/preview.js';
import type { Keys } from './types.js';

const PAGES: Record<string, (ctx: PageContext) => Promise<void>> = {
  overview: renderOverview,
  models: renderModels,
  preview: renderPreview,
  experiments: renderExperiments,
  install: renderInstall,
  customers: renderCustomers,
};

let session: Session | null = null;
/** A message for the next page shown (what an action on the page before did). */
let flash: string | null = null;
/** Bumped on every navigation: a page's late answers check it and drop out. */
let generation = 0;

function status(text: string, kind: '' | 'error' = ''): void {
  const p = byId('console-status');
  p.textContent = text;
  p.className = kind;
}

function showSignIn(message: string): void {
  session = null;
  saveSession(null);
  generation++;
  for (const id of Object.keys(PAGES)) byId(`page-${id}`).hidden = true;
  byId('nav').hidden = true;
  byId('who').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in').hidden = false;
  byId('sign-in-error').textContent = message;
  status('');
  document.title = 'Sign in · PlusOne console';
  const seller = byId<HTMLInputElement>('sign-in-seller');
  (seller.value ? byId<HTMLInputElement>('sign-in-key') : seller).focus();
}

/** The page and its argument from the fragment: `#experiments/exp_…` → ['experiments', 'exp_…']. */
function route(): [string, string | null] {
  const [page, arg] = decodeURIComponent(location.hash.slice(1)).split('/', 2);
  return [page in PAGES ? page : 'overview', arg ?? null];
}

async function show(): Promise<void> {
  if (session === null) return;
  const [page, arg] = route();
  const mine = ++generation;
  for (const id of Object.keys(PAGES)) {
    byId(`page-${id}`).hidden = id !== page;
    const link = byId(`nav-${id}`);
    if (id === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const title = byId(`title-${page}`);
  document.title = `${title.textContent} · PlusOne console`;
  status(flash ?? '');
  flash = null;
  const body = byId(`body-${page}`);
  body.replaceChildren();
  const ctx: PageContext = {
    api: new Api(session),
    body,
    arg,
    current: () => mine === generation,
    status: (text, kind = '') => {
      if (mine === generation) status(text, kind);
    },
    go: (hash, message) => {
      flash = message ?? null;
      if (location.hash === `#${hash}`) void show();
      else location.hash = hash;
    },
  };
  try {
    await PAGES[page](ctx);
  } catch (err) {
    if (!ctx.current() || session === null) return;
    const message = err instanceof ApiFailure ? `${err.message} (${err.status} ${err.code})` : err instanceof Error ? err.message : String(err);
    status(`This page could not be shown: ${message}`, 'error');
  }
}

function signedIn(s: Session, keyId: string): void {
  session = s;
  saveSession(s);
  byId('sign-in').hidden = true;
  byId('nav').hidden = false;
  const who = byId('who');
  who.textContent = `Seller ${s.seller} · secret key ${s.key.slice(0, 7)}… (${keyId})`;
  who.hidden = false;
  byId('sign-out').hidden = false;
}

/** Checks a key against the API (the key listing needs a secret key) before keeping it. */
async function signIn(seller: string, key: string): Promise<string | null> {
  if (!SELLER_PATTERN.test(seller)) return 'The seller id is 1-64 letters, digits, "-" or "_", starting with a letter or digit.';
  if (key.startsWith('pk_'))
    return 'That is a publishable key (pk_…): it only serves recommendations in a storefront and cannot sign in. The console needs a secret key (sk_…) of the seller.';
  if (!KEY_PATTERN.test(key)) return 'That is not a PlusOne secret key: it is sk_ followed by 32 letters, digits, "-" or "_". Copy it whole.';
  try {
    const keys = await new Api({ seller, key }).get<Keys>('/keys');
    signedIn({ seller, key }, keys.current);
    return null;
  } catch (err) {
    if (err instanceof ApiFailure && err.status >= 400 && err.status < 500 && err.status !== 429) return explainKeyRefusal(err, seller);
    return `The key could not be checked: ${(err as Error).message}. Try again in a moment.`;
  }
}

function start(): void {
  const form = byId<HTMLFormElement>('sign-in-form');
  const sellerInput = byId<HTMLInputElement>('sign-in-seller');
  const keyInput = byId<HTMLInputElement>('sign-in-key');
  // The seller may come in the address (?seller=…): it is no secret.
  sellerInput.value = new URLSearchParams(location.search).get('seller') ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button')!;
    button.disabled = true;
    byId('sign-in-error').textContent = '';
    const key = keyInput.value.trim();
    void signIn(sellerInput.value.trim(), key).then((problem) => {
      button.disabled = false;
      if (problem !== null) {
        byId('sign-in-error').textContent = problem;
        keyInput.focus();
        return;
      }
      keyInput.value = '';
      void show().then(() => byId(`title-${route()[0]}`).focus());
    });
  });
  byId('sign-out').addEventListener('click', () => {
    sellerInput.value = session?.seller ?? '';
    showSignIn('You signed out: the key was removed from this tab.');
  });
  whenKeyRefused((message) => {
    if (session === null) return;
    sellerInput.value = session.seller;
    showSignIn(message);
  });
  window.addEventListener('hashchange', () => {
    void show().then(() => {
      if (session !== null && !location.hash.includes('/')) byId(`title-${route()[0]}`).focus();
    });
  });
  const s = loadSession();
  if (s === null) {
    showSignIn('');
    return;
  }
  // A session of this tab: check the key is still good before showing anything.
  sellerInput.value = s.seller;
  void signIn(s.seller, s.key).then((problem) => {
    if (problem !== null) showSignIn(problem);
    else void show();
  });
}

start();
