import type { Api } from './api.js';

/** What a page's renderer gets: the API with the session's key, its part of the page, the fragment's argument. */
export interface PageContext {
  api: Api;
  /** The page's body element (emptied before the renderer runs). */
  body: HTMLElement;
  /** What follows the page in the fragment (`#experiments/exp_…` → `exp_…`), or null. */
  arg: string | null;
  /** Whether this page is still the one shown (a late answer of an earlier page is dropped). */
  current(): boolean;
  /** A message in the console's status line (announced to screen readers). */
  status(text: string, kind?: '' | 'error'): void;
  /** Shows another page (`models`, `experiments/exp_…`), or this one again, with a message in the status line. */
  go(hash: string, message?: string): void;
}
