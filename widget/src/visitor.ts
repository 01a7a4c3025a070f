/** Where the visitor id is kept: localStorage, else a first-party cookie. */
export interface IdStore {
  get(): string | null;
  set(id: string): void;
  remove(): void;
}

const NAME = 'plusone_vid';
const ID = /^[\w-]{8,64}$/;

/** The store of the page: localStorage when it works (it throws in some private modes), else a cookie. */
export function browserStore(): IdStore {
  const local = (): Storage | null => {
    try {
      const s = window.localStorage;
      s.getItem(NAME);
      return s;
    } catch {
      return null;
    }
  };
  const cookie = (value: string, maxAge: number) => {
    try {
      // biome-ignore lint/suspicious/noDocumentCookie: the visitor id is a first-party cookie; the Cookie Store API is not in every browser the widget supports
      document.cookie = `${NAME}=${value};max-age=${maxAge};path=/;samesite=lax`;
    } catch {
      // cookies disabled: the id lives as long as the page
    }
  };
  return {
    get() {
      try {
        const v = local()?.getItem(NAME);
        if (v) return v;
        const m = document.cookie.match(/(?:^|;\s*)plusone_vid=([^;]+)/);
        return m ? m[1] : null;
      } catch {
        return null;
      }
    },
    set(id) {
      const s = local();
      if (s) {
        try {
          s.setItem(NAME, id);
          return;
        } catch {
          // quota or blocked: fall back to the cookie
        }
      }
      cookie(id, 31536000);
    },
    remove() {
      try {
        local()?.removeItem(NAME);
      } catch {
        // nothing stored there
      }
      cookie('', 0);
    },
  };
}

/**
 * The first-party visitor id: the stored one when it looks like ours, else a new one made
 * by `make` and stored. Only called once tracking is allowed (consent, no Do Not Track).
 */
export function visitorId(store: IdStore, make: () => string): string {
  const known = store.get();
  if (known !== null && ID.test(known)) return known;
  const id = make();
  store.set(id);
  return id;
}
