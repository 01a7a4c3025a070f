import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../core/recommend/model.js';
import type { ServingConfig } from '../../core/storage/slots.js';
import { servingModel } from './serving.js';

/** A stand-in for a loaded version: its name and the items it knows. */
const model = (version: string, items: string[]) => ({ version, artifact: { itemIndex: (id: string) => items.indexOf(id) } }) as unknown as LoadedModel;

const config = (surfaces: ServingConfig['surfaces']): ServingConfig => ({ surfaces, updated: '' });

describe('which version answers a surface', () => {
  const models: Record<string, LoadedModel> = {
    ease: model('v-ease', ['a', 'b']),
    warp: model('v-warp', ['a', 'b', 'new']),
    lookalike: model('v-lookalike', ['a', 'b']),
    legacy: model('v-legacy', ['a']),
  };
  const loader = (present: string[], legacy = false) => {
    const asked: (string | undefined)[] = [];
    const load = async (slot?: string) => {
      asked.push(slot);
      if (slot === undefined) return legacy ? models.legacy : null;
      return present.includes(slot) ? models[slot] : null;
    };
    return { load, asked };
  };
  const all = ['ease', 'warp', 'lookalike'];

  it("the rule's slot, else its fallback, else the older active pointer", async () => {
    const c = config({ basket: { slot: 'ease', fallback: 'warp' } });
    expect(await servingModel(loader(all).load, c, 'basket', ['a'])).toEqual({ model: models.ease, slot: 'ease' });
    expect(await servingModel(loader(['warp']).load, c, 'basket', ['a'])).toEqual({ model: models.warp, slot: 'warp' });
    expect(await servingModel(loader([], true).load, c, 'basket', ['a'])).toEqual({ model: models.legacy, slot: null });
    expect(await servingModel(loader([], true).load, null, 'basket', [])).toEqual({ model: models.legacy, slot: null });
    expect(await servingModel(loader([]).load, null, 'basket', [])).toEqual({ model: null, slot: null });
  });

  it('a surface without a rule borrows the version of another rule (for-you first)', async () => {
    const c = config({ 'for-you': { slot: 'lookalike', fallback: null }, similar: { slot: 'ease', fallback: null } });
    expect(await servingModel(loader(all).load, c, 'basket', ['a'])).toEqual({ model: models.lookalike, slot: 'lookalike' });
  });

  it('new-items: only when the query names items the chosen version knows none of, and the new-items slot knows one', async () => {
    const c = config({ similar: { slot: 'ease', fallback: null }, 'new-items': { slot: 'warp', fallback: null } });
    expect(await servingModel(loader(all).load, c, 'similar', ['new'])).toEqual({ model: models.warp, slot: 'warp' });
    expect(await servingModel(loader(all).load, c, 'similar', ['a'])).toEqual({ model: models.ease, slot: 'ease' });
    expect(await servingModel(loader(all).load, c, 'similar', ['nobody'])).toEqual({ model: models.ease, slot: 'ease' });
    // A for-you of a known customer without items stays with its rule.
    const { load, asked } = loader(all);
    expect(await servingModel(load, c, 'similar', [])).toEqual({ model: models.ease, slot: 'ease' });
    expect(asked).toEqual(['ease']);
  });
});
