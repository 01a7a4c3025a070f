import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPlatformProxy } from 'wrangler';
import { hashKey, keyStorage, KEY_ID_PATTERN, parseKeyIndex, parseKeyRecord } from '../core/storage/keys.js';
import { runCli as run } from './run-cli.js';

interface Bindings {
  KV: { get(key: string): Promise<string | null> };
}

let state: string;

/** KV as the worker sees it, over the same local state. */
async function readKv(keys: string[]): Promise<(string | null)[]> {
  const proxy = await getPlatformProxy<Bindings>({ persist: { path: join(state, 'v3') } });
  try {
    return await Promise.all(keys.map((k) => proxy.env.KV.get(k)));
  } finally {
    await proxy.dispose();
  }
}

beforeAll(async () => {
  state = join(await mkdtemp(join(tmpdir(), 'plusone-keys-')), 'state');
});

describe('plusone keys', () => {
  it('creates, lists and revokes keys in local wrangler state, storing only their hashes', async () => {
    const local = ['--local', '--persist-to', state];
    const pk = await run([
      'keys',
      'create',
      '--seller',
      'shop1',
      '--type',
      'publishable',
      '--origins',
      'https://Shop.Example/,http://localhost:8787',
      ...local,
      '--json',
    ]);
    expect(pk.code, pk.err.join('\n')).toBe(0);
    const created = JSON.parse(pk.out[0]);
    expect(created).toMatchObject({ seller: 'shop1', type: 'publishable', origins: ['https://shop.example', 'http://localhost:8787'], rps: null });
    expect(created.key).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
    expect(created.id).toMatch(KEY_ID_PATTERN);

    const sk = await run(['keys', 'create', '--seller', 'shop1', '--type', 'secret', '--rps', '5', '--burst', '10', ...local]);
    expect(sk.code, sk.err.join('\n')).toBe(0);
    const secret = sk.out[0];
    expect(secret).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
    expect(sk.err.join('\n')).toMatch(/shown only now/);

    // The edge's hash of the printed key names the record; the record holds no key.
    const hash = await hashKey(created.key);
    expect(hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    const [pkRecord, skRecord, indexText] = await readKv([keyStorage.record(hash), keyStorage.record(await hashKey(secret)), keyStorage.index('shop1')]);
    expect(pkRecord).not.toContain(created.key);
    expect(parseKeyRecord(pkRecord!)).toMatchObject({ id: created.id, seller: 'shop1', type: 'publishable', revoked: null });
    expect(parseKeyRecord(skRecord!)).toMatchObject({ seller: 'shop1', type: 'secret', origins: [], rps: 5, burst: 10 });
    const index = parseKeyIndex(indexText);
    expect(index.map((e) => e.type)).toEqual(['publishable', 'secret']);
    expect(index[0]).toMatchObject({ id: created.id, hash, hint: `${created.key.slice(0, 7)}…` });
    expect(indexText).not.toContain(created.key);
    expect(indexText).not.toContain(secret);

    const list = await run(['keys', 'list', '--seller', 'shop1', ...local, '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.out[0]);
    expect(listed.keys).toHaveLength(2);
    expect(list.out[0]).not.toContain(created.key);
    expect(list.out[0]).not.toContain(hash);

    const revoke = await run(['keys', 'revoke', '--seller', 'shop1', '--key-id', created.id, ...local, '--json']);
    expect(revoke.code, revoke.err.join('\n')).toBe(0);
    expect(JSON.parse(revoke.out[0])).toMatchObject({ id: created.id, already: false });
    const [after, indexAfter] = await readKv([keyStorage.record(hash), keyStorage.index('shop1')]);
    expect(parseKeyRecord(after!).revoked).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(parseKeyIndex(indexAfter).find((e) => e.id === created.id)!.revoked).toBe(parseKeyRecord(after!).revoked);

    const again = await run(['keys', 'revoke', '--seller', 'shop1', '--key-id', created.id, ...local]);
    expect(again.out[0]).toMatch(/already revoked/);
    const unknown = await run(['keys', 'revoke', '--seller', 'shop1', '--key-id', 'key_ffffffffffffffff', ...local]);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toContain(created.id);
  }, 240_000);

  it.each([
    [['keys', 'create', '--seller', 'shop1', '--type', 'admin'], /--type must be one of publishable, secret/],
    [['keys', 'create', '--seller', 'shop1', '--type', 'publishable', '--origins', 'https://shop.example/cart'], /not an origin/],
    [['keys', 'create', '--seller', 'shop1', '--type', 'secret', '--origins', 'https://shop.example'], /--origins is for publishable keys/],
    [['keys', 'create', '--seller', 'shop 1', '--type', 'secret'], /not a valid id/],
    [['keys', 'create', '--seller', 'shop1', '--type', 'secret', '--rps', '0'], /--rps must be > 0/],
    [['keys', 'create', '--seller', 'shop1', '--type', 'secret', '--local', '--remote'], /--local or --remote/],
    [['keys', 'create', '--type', 'secret'], /--seller is required/],
    [['keys', 'rotate'], /unknown subcommand "rotate"/],
  ])('refuses %j with exit code 2', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(message);
  });

  it('documents its subcommands', async () => {
    const r = await run(['keys', '--help']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/keys create.*--type publishable\|secret/);
    const c = await run(['keys', 'create', '--help']);
    expect(c.out.join('\n')).toMatch(/--origins LIST/);
    expect((await run(['--help'])).out.join('\n')).toMatch(/keys\s+create, revoke and list/);
  });
});
