import { describe, expect, it } from 'vitest';
import { visitorId, type IdStore } from './visitor.js';

function memoryStore(initial: string | null = null): IdStore & { value: string | null } {
  return {
    value: initial,
    get() {
      return this.value;
    },
    set(id) {
      this.value = id;
    },
    remove() {
      this.value = null;
    },
  };
}

describe('visitorId', () => {
  it('makes and stores an id the first time, then reuses it', () => {
    const store = memoryStore();
    let made = 0;
    const make = () => `00000000-0000-4000-8000-00000000000${++made}`;
    const first = visitorId(store, make);
    expect(store.value).toBe(first);
    expect(visitorId(store, make)).toBe(first);
    expect(made).toBe(1);
  });

  it('replaces a stored value that is not one of its ids', () => {
    const store = memoryStore('<script>');
    expect(visitorId(store, () => 'abcdef12-new')).toBe('abcdef12-new');
    expect(store.value).toBe('abcdef12-new');
  });
});
