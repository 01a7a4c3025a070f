import { describe, expect, it } from 'vitest';
import { MODEL_TYPE_NAMES } from '../../core/format/spec.js';
import { ARM_MODELS, armSlot, checkDefinition, experimentRequest, type ExperimentDefinition } from './definition.js';

const arms = [
  { name: 'control', model: 'popularity' },
  { name: 'knn', model: MODEL_TYPE_NAMES[1], weight: 3 },
];

describe('experiment definition', () => {
  it('lets an arm serve every model type of the artifact, or none', () => {
    expect(ARM_MODELS).toEqual([...MODEL_TYPE_NAMES, 'none']);
    for (const model of ARM_MODELS)
      expect(experimentRequest.safeParse({ surface: 'for-you', arms: [arms[0], { name: 'b', model }] }).success, model).toBe(true);
    const bad = experimentRequest.safeParse({ surface: 'basket', arms: [arms[0], { name: 'b', model: 'magic' }] });
    expect(bad.error?.issues[0]).toMatchObject({ path: ['arms', 1, 'model'], message: `model must be one of ${ARM_MODELS.join(', ')}` });
  });

  it('refuses an arm whose model type the edge does not serve on the surface (user-knn and a cart or an item)', () => {
    for (const surface of ['basket', 'similar'] as const) {
      const r = experimentRequest.safeParse({ surface, arms: [arms[0], { name: 'uu', model: 'user-knn' }] });
      expect(r.error?.issues[0], surface).toMatchObject({ path: ['arms', 1, 'model'] });
      expect(r.error?.issues[0].message).toBe(
        `user-knn does not answer the ${surface} surface at the edge (it serves for-you); choose lightfm, item-knn, popularity or none`,
      );
    }
    for (const model of ARM_MODELS.filter((m) => m !== 'user-knn'))
      expect(experimentRequest.safeParse({ surface: 'basket', arms: [arms[0], { name: 'b', model }] }).success, model).toBe(true);
  });

  it('fills in the defaults of a request, which then makes a valid definition', () => {
    const body = experimentRequest.parse({ surface: 'similar', arms });
    expect(body).toEqual({ surface: 'similar', arms: [{ ...arms[0], weight: 1 }, arms[1]], attribution_window_hours: 24, orders_per_year: null });
    const def: ExperimentDefinition = {
      id: 'exp_0123456789ab',
      seller: 'shop1',
      name: 'similar: control vs knn',
      ...body,
      control: 'control',
      status: 'draft',
      created: '2026-01-01T00:00:00.000Z',
      started: null,
      stopped: null,
    };
    expect(() => checkDefinition(def)).not.toThrow();
  });

  it('checks the arms together once each field is valid: unique names, a weight above 0, a control among them', () => {
    const message = (input: unknown) => experimentRequest.safeParse(input).error?.issues.map((i) => i.message);
    expect(message({ surface: 'basket', arms: [arms[0], arms[0]] })).toEqual(['arms[1].name "control" is used twice; arm names must be unique']);
    expect(message({ surface: 'basket', arms: arms.map((a) => ({ ...a, weight: 0 })) })).toEqual(['arms: at least one weight must be > 0']);
    expect(message({ surface: 'basket', arms, control: 'nope' })).toEqual(['control "nope" is not one of the arms (control, knn)']);
    // A field problem comes alone: the cross-field checks wait for valid fields.
    expect(message({ surface: 'home', arms, control: 'nope' })).toEqual(['surface must be basket, similar or for-you']);
  });
});

describe('arms over slots', () => {
  it('lets an arm name a slot, a model (popularity, none), not both and not neither', () => {
    const ok = experimentRequest.safeParse({
      surface: 'basket',
      arms: [
        { name: 'warp', slot: 'warp' },
        { name: 'ease', slot: 'ease', weight: 2 },
        { name: 'off', model: 'none' },
      ],
    });
    expect(ok.success).toBe(true);
    expect(ok.data?.arms).toEqual([
      { name: 'warp', slot: 'warp', weight: 1 },
      { name: 'ease', slot: 'ease', weight: 2 },
      { name: 'off', model: 'none', weight: 1 },
    ]);
    const message = (arms: unknown[]) => experimentRequest.safeParse({ surface: 'basket', arms }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(
      message([
        { name: 'a', slot: 'warp', model: 'none' },
        { name: 'b', slot: 'ease' },
      ]),
    ).toEqual([['arms.0', 'give the arm a slot ("slot":"warp") or a model ("model":"popularity" or "none"), not both']]);
    expect(message([{ name: 'a' }, { name: 'b', slot: 'ease' }])).toEqual([
      ['arms.0', 'give the arm a slot ("slot":"warp") or a model ("model":"popularity" or "none"), not neither'],
    ]);
    expect(
      message([
        { name: 'a', slot: 'Warp' },
        { name: 'b', slot: 'ease' },
      ])?.[0][0],
    ).toBe('arms.0.slot');
    expect(
      message([
        { name: 'a', slot: 'none' },
        { name: 'b', slot: 'ease' },
      ])?.[0][1],
    ).toMatch(/reserved/);
  });

  it('reads an arm of before the slots (a model type) as the slot of that name', () => {
    expect(armSlot({ model: 'item-knn' })).toBe('item-knn');
    expect(armSlot({ slot: 'warp' })).toBe('warp');
    expect(armSlot({ model: 'popularity' })).toBeUndefined();
    expect(armSlot({ model: 'none' })).toBeUndefined();
  });
});
