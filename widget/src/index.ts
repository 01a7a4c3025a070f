/**
 * The PlusOne storefront widget (served as /widget.v1.js). Reads its options from the
 * `data-*` attributes of its own script tag, installs `window.PlusOne`, renders into
 * `data-target` when one is given, and fires `plusone:ready` on the document.
 */
import { scriptOptions } from './options.js';
import { beacon } from './tracker.js';
import { browserStore } from './visitor.js';
import { createPlusOne, mark, type PlusOneApi } from './widget.js';

mark('plusone:start');

try {
  const script = document.currentScript as HTMLScriptElement | null;
  const options = scriptOptions(script ? { ...script.dataset } : {}, script?.src ?? '');
  const w = window as unknown as { PlusOne?: PlusOneApi };
  // A second tag on the page reuses the first one's state (visitor, consent, queue).
  let api = w.PlusOne;
  if (api?.version !== '1') {
    const created = createPlusOne(options, { store: browserStore(), send: beacon, doNotTrack: navigator.doNotTrack === '1' });
    api = w.PlusOne = created;
    addEventListener('pagehide', created.flush);
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && created.flush());
    document.dispatchEvent(new Event('plusone:ready'));
  }
  const target = options.target;
  if (target && options.surface) {
    const go = () => void api.render(options);
    // Render as soon as the target exists; wait for the parser only when it does not yet.
    if (document.readyState === 'loading' && !document.querySelector(target as string)) document.addEventListener('DOMContentLoaded', go);
    else go();
  }
} catch {
  // Never break the page.
}
