import { describe, expect, it } from 'vitest';
import { csrFromCoo, type Csr } from '../../data/sparse.js';
import { evaluateRanking, mean } from '../../eval/metrics.js';
import { Random } from '../../util/random.js';
import { DivergenceError, HybridMF, scoreAll, type HybridMFOptions } from './hybrid-mf.js';
import { createContext, placeWarpData, positivesBitmap, runRange, warpInWasm, type Hyper, type Loss } from './kernels.js';
import { initParams, type Params } from './params.js';
import { plantedProblem, type PlantedProblem } from './test-data.js';

const LOSSES: Loss[] = ['logistic', 'bpr', 'warp', 'warp-kos'];

function auc(model: HybridMF, p: PlantedProblem): number {
  const { embeddings: ue, biases: ub } = model.getUserRepresentations();
  const { embeddings: ie, biases: ib } = model.getItemRepresentations();
  const dim = model.options.dim;
  const m = evaluateRanking({
    test: p.test,
    train: p.train,
    score: (u, out) => scoreAll(ue, ub[u], u, ie, ib, dim, out),
  });
  return mean(m.auc);
}

/** Score of (u, i) in float64 straight from the definition: sums of feature embeddings. */
function score(p: Params, uf: Csr, itf: Csr, u: number, i: number): number {
  const d = p.dim;
  const ur = new Float64Array(d + 1);
  const ir = new Float64Array(d + 1);
  for (const [f, row, emb, bias, out] of [
    [uf, u, p.userEmb, p.userBias, ur],
    [itf, i, p.itemEmb, p.itemBias, ir],
  ] as const) {
    for (let q = f.indptr[row]; q < f.indptr[row + 1]; q++) {
      const w = f.data[q];
      const c = f.indices[q];
      for (let j = 0; j < d; j++) out[j] += w * emb[c * d + j];
      out[d] += w * bias[c];
    }
  }
  let s = ur[d] + ir[d];
  for (let j = 0; j < d; j++) s += ur[j] * ir[j];
  return s;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('HybridMF gradients', () => {
  // 2 users, 4 items. Each item has its identity and a private metadata feature (weights
  // 0.6 / 0.4); each user has its identity and a feature shared by both users.
  const nUsers = 2;
  const nItems = 4;
  const itemFeatures = csrFromCoo(
    nItems,
    2 * nItems,
    Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]),
    Int32Array.from([0, 4, 1, 5, 2, 6, 3, 7]),
    Float32Array.from([0.6, 0.4, 0.6, 0.4, 0.6, 0.4, 0.6, 0.4]),
  );
  const userFeatures = csrFromCoo(nUsers, 3, Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 2, 1, 2]), Float32Array.from([0.5, 0.5, 0.5, 0.5]));
  // user 0 likes item 0; user 1 likes items 1, 2, 3. The step under test is (0, 0).
  const users = Int32Array.from([0, 1, 1, 1]);
  const items = Int32Array.from([0, 1, 2, 3]);

  const cases = [...LOSSES.map((loss) => [loss, false] as const), ['warp', true] as const];
  for (const [loss, wasm] of cases) {
    it(`${loss}${wasm ? ' (the WebAssembly loop)' : ''}: one SGD step equals -lr x the finite-difference gradient of the loss`, () => {
      const lr = 0.05;
      let params = initParams(2 * nItems, 3, 3, 'adagrad', new Random(3));
      // Larger starting values than LightFM's so that every gradient is well away from 0.
      for (const a of [params.itemEmb, params.userEmb]) for (let i = 0; i < a.length; i++) a[i] *= 20;
      // Item 0 (the positive) scores low and the others high, so that WARP's first draw
      // already violates the margin and its rank weight is known.
      for (let i = 0; i < params.itemBias.length; i++) params.itemBias[i] = i % 4 === 0 ? -1 : 2;
      const positives = csrFromCoo(nUsers, nItems, users, items);
      const { bits, wordsPerUser } = positivesBitmap(positives);
      const hyper: Hyper = {
        loss,
        learningRate: lr,
        adadelta: false,
        rho: 0.95,
        epsilon: 1e-6,
        itemAlpha: 0,
        userAlpha: 0,
        maxSampled: 10,
        k: 5,
        n: 10,
        lazyScales: false,
      };
      const weights = new Float32Array(4).fill(1);
      const examples = { users, items, weights, positives, positiveBits: bits, wordsPerUser };
      let shuffle: Int32Array = Int32Array.from([0]);
      let warpCtx = 0;
      if (wasm) {
        expect(warpInWasm(hyper)).toBe(true);
        const placed = placeWarpData(params, examples, itemFeatures, userFeatures, hyper);
        params = placed.params;
        warpCtx = placed.warpCtx;
        shuffle = placed.shuffle;
        shuffle[0] = 0;
      }
      const ctx = createContext(params, itemFeatures, userFeatures, examples, hyper, 0, warpCtx);
      const before = {
        itemEmb: Float64Array.from(params.itemEmb),
        itemBias: Float64Array.from(params.itemBias),
        userEmb: Float64Array.from(params.userEmb),
        userBias: Float64Array.from(params.userBias),
      };
      runRange(ctx, shuffle, 0, 1, 12345);

      // Which negative the sampler drew: the only other item whose parameters moved.
      let neg = -1;
      for (let i = 1; i < nItems; i++) if (params.itemBias[i] !== before.itemBias[i]) neg = i;
      if (loss !== 'logistic') expect(neg).toBeGreaterThan(0);

      const frozen: Params = {
        ...params,
        itemEmb: new Float32Array(0),
        itemBias: new Float32Array(0),
        userEmb: new Float32Array(0),
        userBias: new Float32Array(0),
      };
      const lossAt = (v: typeof before): number => {
        const q = { ...frozen, itemEmb: v.itemEmb, itemBias: v.itemBias, userEmb: v.userEmb, userBias: v.userBias } as unknown as Params;
        const sPos = score(q, userFeatures, itemFeatures, 0, 0);
        if (loss === 'logistic') return -Math.log(sigmoid(sPos));
        const sNeg = score(q, userFeatures, itemFeatures, 0, neg);
        if (loss === 'bpr') return -Math.log(sigmoid(sPos - sNeg));
        // WARP and k-OS: the first draw violates the margin (checked below), so the rank
        // weight is log(floor(3 negatives / 1 draw)).
        return Math.log(3) * (1 - sPos + sNeg);
      };
      if (loss === 'warp' || loss === 'warp-kos') {
        const q = { ...frozen, ...before } as unknown as Params;
        expect(score(q, userFeatures, itemFeatures, 0, neg)).toBeGreaterThan(score(q, userFeatures, itemFeatures, 0, 0) - 1);
      }
      const h = 1e-5;
      let checked = 0;
      for (const key of ['itemEmb', 'itemBias', 'userEmb', 'userBias'] as const) {
        for (let i = 0; i < before[key].length; i++) {
          const plus = { ...before, [key]: Float64Array.from(before[key]) };
          const minus = { ...before, [key]: Float64Array.from(before[key]) };
          plus[key][i] += h;
          minus[key][i] -= h;
          const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
          const step = params[key][i] - before[key][i];
          // The WebAssembly loop's rank weight is a float32 (log 3 to 7 digits).
          expect(step, `${key}[${i}]`).toBeCloseTo(-lr * numeric, wasm ? 4 : 5);
          if (numeric !== 0) checked++;
        }
      }
      // user, positive (and negative) item: identity + metadata features, dim + bias each
      expect(checked).toBeGreaterThanOrEqual(loss === 'logistic' ? 14 : 20);
    });
  }
});

describe('WARP sampling', () => {
  // One user who likes items 0, 1 and 2 of 4; item 3, the only negative, always violates the
  // margin. As in LightFM a draw that hits a positive still counts: the rank weight is
  // log(floor(3 / draws)), so only a first draw of item 3 moves anything (log 3); after one
  // or more positive draws the weight is log(1) = 0. Were positive draws skipped without
  // counting, every step would move the parameters.
  const nItems = 4;
  const identity = (n: number) =>
    csrFromCoo(
      n,
      n,
      Int32Array.from({ length: n }, (_, i) => i),
      Int32Array.from({ length: n }, (_, i) => i),
      new Float32Array(n).fill(1),
    );
  for (const [loss, wasm] of [
    ['warp', false],
    ['warp', true],
    ['warp-kos', false],
  ] as const) {
    it(`${loss}${wasm ? ' (the WebAssembly loop)' : ''}: positives drawn count as draws`, () => {
      const users = Int32Array.from([0, 0, 0]);
      const items = Int32Array.from([0, 1, 2]);
      const positives = csrFromCoo(1, nItems, users, items);
      const { bits, wordsPerUser } = positivesBitmap(positives);
      const hyper: Hyper = {
        loss,
        learningRate: 0.05,
        adadelta: false,
        rho: 0.95,
        epsilon: 1e-6,
        itemAlpha: 0,
        userAlpha: 0,
        maxSampled: 10,
        k: 1,
        n: 3,
        lazyScales: false,
      };
      let moved = 0;
      const steps = 400;
      for (let seed = 1; seed <= steps; seed++) {
        let params = initParams(nItems, 1, 4, 'adagrad', new Random(seed));
        params.itemBias[3] = 5; // the negative scores far above every positive
        const examples = { users, items, weights: new Float32Array(3).fill(1), positives, positiveBits: bits, wordsPerUser };
        let shuffle: Int32Array = Int32Array.from([0]);
        let warpCtx = 0;
        if (wasm) {
          ({ params, warpCtx, shuffle } = placeWarpData(params, examples, identity(nItems), identity(1), hyper));
          shuffle[0] = 0;
        }
        const ctx = createContext(params, identity(nItems), identity(1), examples, hyper, 0, warpCtx);
        runRange(ctx, shuffle, 0, 1, new Random(seed).nextUint32() | 1);
        if (params.itemBias[3] !== 5) moved++;
      }
      // P(first draw is item 3) = 1/4: 100 of 400 expected, sd about 8.7.
      expect(moved).toBeGreaterThan(60);
      expect(moved).toBeLessThan(140);
    });
  }
});

describe('HybridMF training', () => {
  for (const loss of LOSSES) {
    it(`${loss} learns planted structure (AUC > 0.9)`, async () => {
      const p = plantedProblem({ negatives: loss === 'logistic', seed: 11 });
      const model = new HybridMF({ loss, dim: 8, seed: 5 });
      await model.fit({ users: p.users, items: p.items, weights: loss === 'warp-kos' ? null : p.weights, nUsers: p.nUsers, nItems: p.nItems }, { epochs: 30 });
      expect(auc(model, p)).toBeGreaterThan(0.9);
    });
  }

  it('learns with user and item features, and with adadelta', async () => {
    const p = plantedProblem({ seed: 12 });
    const model = new HybridMF({ loss: 'warp', dim: 8, schedule: 'adadelta', seed: 5 });
    await model.fit({ users: p.users, items: p.items, userFeatures: p.userFeatures, itemFeatures: p.itemFeatures }, { epochs: 30 });
    expect(auc(model, p)).toBeGreaterThan(0.9);
  });

  it('ranks a cold item through its features alone', async () => {
    const p = plantedProblem({ nItems: 41, seed: 13 });
    // item 40 (cluster 0) gets no interactions and only its cluster feature
    const itemFeatures = csrFromCoo(
      41,
      4,
      Int32Array.from({ length: 41 }, (_, i) => i),
      p.itemCluster,
      new Float32Array(41).fill(1),
    );
    const keep = p.items.map((i) => (i === 40 ? 0 : 1));
    const users = p.users.filter((_, k) => keep[k]);
    const items = p.items.filter((_, k) => keep[k]);
    const model = new HybridMF({ loss: 'warp', dim: 8, seed: 5 });
    await model.fit({ users, items, itemFeatures, nUsers: p.nUsers }, { epochs: 30 });
    const fans = Int32Array.from({ length: 15 }, (_, k) => k * 4); // cluster-0 users
    const others = Int32Array.from({ length: 15 }, (_, k) => k * 4 + 1);
    const cold = new Int32Array(15).fill(40);
    const sFans = mean(Float64Array.from(model.predict(fans, cold)));
    const sOthers = mean(Float64Array.from(model.predict(others, cold)));
    expect(sFans).toBeGreaterThan(sOthers);
  });

  it('is deterministic with one thread: same seed, same bytes; another seed differs', async () => {
    const p = plantedProblem({ seed: 14 });
    const run = async (seed: number) => {
      const m = new HybridMF({ loss: 'warp', dim: 8, seed });
      await m.fit({ users: p.users, items: p.items, itemFeatures: p.itemFeatures, userFeatures: p.userFeatures }, { epochs: 5 });
      return Buffer.from(m.exportParams().itemEmb.buffer.slice(0)).toString('base64');
    };
    const a = await run(1);
    expect(await run(1)).toBe(a);
    expect(await run(2)).not.toBe(a);
  });

  it('still converges with 2 Hogwild threads', async () => {
    const p = plantedProblem({ nUsers: 200, nItems: 80, seed: 15 });
    const model = new HybridMF({ loss: 'warp', dim: 8, seed: 5 });
    const report = await model.fit({ users: p.users, items: p.items }, { epochs: 20, threads: 2 });
    expect(report.threads).toBe(2);
    expect(auc(model, p)).toBeGreaterThan(0.9);
  });

  it('fitPartial continues where fit stopped; fit starts over', async () => {
    const p = plantedProblem({ seed: 16 });
    const data = { users: p.users, items: p.items };
    const a = new HybridMF({ dim: 8, seed: 3 });
    await a.fit(data, { epochs: 4 });
    const b = new HybridMF({ dim: 8, seed: 3 });
    await b.fit(data, { epochs: 2 });
    await b.fitPartial(data, { epochs: 2 });
    expect(Array.from(b.exportParams().itemEmb)).toEqual(Array.from(a.exportParams().itemEmb));
    await b.fit(data, { epochs: 4 });
    expect(Array.from(b.exportParams().itemEmb)).toEqual(Array.from(a.exportParams().itemEmb));
  });

  it('stops a diverging run with a message that says what to lower', async () => {
    const p = plantedProblem({ seed: 17 });
    const model = new HybridMF({ loss: 'logistic', learningRate: 1e30, seed: 1 });
    await expect(model.fit({ users: p.users, items: p.items, weights: Float32Array.from(p.weights, (w) => w * 1e30) }, { epochs: 3 })).rejects.toThrow(
      DivergenceError,
    );
    await expect(model.fit({ users: p.users, items: p.items, weights: Float32Array.from(p.weights, (w) => w * 1e30) }, { epochs: 3 })).rejects.toThrow(
      /Lower the learning rate/,
    );
  });

  it('predictRank counts the non-train items scored at least as high', async () => {
    const p = plantedProblem({ seed: 18 });
    const model = new HybridMF({ dim: 4, seed: 1 });
    await model.fit({ users: p.users, items: p.items }, { epochs: 3 });
    const ranks = model.predictRank(p.test, p.train);
    const all = new Int32Array(p.nItems).map((_, i) => i);
    for (const u of [0, 5, 9]) {
      const s = model.predict(new Int32Array(p.nItems).fill(u), all);
      for (let q = p.test.indptr[u]; q < p.test.indptr[u + 1]; q++) {
        const it = p.test.indices[q];
        let r = 0;
        for (let j = 0; j < p.nItems; j++) {
          const inTrain = p.train.indices.subarray(p.train.indptr[u], p.train.indptr[u + 1]).includes(j);
          if (j !== it && !inTrain && s[j] >= s[it]) r++;
        }
        expect(ranks.data[q]).toBe(r);
      }
    }
  });
});

describe('HybridMF validation', () => {
  const bad: [Partial<HybridMFOptions>, RegExp][] = [
    [{ dim: 0 }, /dim must be a positive integer/],
    [{ learningRate: -1 }, /learningRate must be > 0/],
    [{ loss: 'hinge' as Loss }, /loss must be one of/],
    [{ schedule: 'sgd' as 'adagrad' }, /schedule must be/],
    [{ rho: 1 }, /rho must be in/],
    [{ itemAlpha: -0.1 }, /itemAlpha must be >= 0/],
    [{ maxSampled: 0 }, /maxSampled/],
    [{ k: 5, n: 3 }, /n must be an integer >= k/],
  ];
  for (const [opts, msg] of bad) {
    it(`rejects ${JSON.stringify(opts)}`, () => {
      expect(() => new HybridMF(opts)).toThrow(msg);
    });
  }

  it('rejects out-of-range indices, sample weights with k-OS, and predicting before training', async () => {
    await expect(new HybridMF().fit({ users: Int32Array.from([0, 5]), items: Int32Array.from([0, 1]), nUsers: 2 })).rejects.toThrow(
      /user index 5 outside \[0, 2\)/,
    );
    await expect(
      new HybridMF({ loss: 'warp-kos' }).fit({ users: Int32Array.from([0]), items: Int32Array.from([0]), weights: Float32Array.from([2]) }),
    ).rejects.toThrow(/k-OS WARP does not support sample weights/);
    expect(() => new HybridMF().predict(Int32Array.from([0]), Int32Array.from([0]))).toThrow(/not trained yet/);
  });
});
