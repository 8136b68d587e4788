import { describe, expect, it } from 'vitest';
import { createHashChain, hashN, verifyTick } from '../src/index.js';
import { hex, nodeHashN, nodeSha256 } from './helpers.js';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

describe('hashN', () => {
  it('matches known sha256 vectors', () => {
    // sha256 of 32 zero bytes
    expect(hex(hashN(new Uint8Array(32), 1))).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
    expect(hex(hashN(new Uint8Array(0), 1))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('n = 0 is the identity and n iterates', () => {
    expect(hex(hashN(seed, 0))).toBe(hex(seed));
    expect(hex(hashN(seed, 5))).toBe(hex(nodeHashN(seed, 5)));
    expect(hex(hashN(seed, 2n))).toBe(hex(nodeSha256(nodeSha256(seed))));
  });
});

describe('createHashChain', () => {
  it('root = sha256^length(seed), preimage(i) = sha256^(length-i)(seed) for every i', () => {
    // 50 is not a perfect square: exercises the checkpoint stride and its last, shorter segment.
    const chain = createHashChain(50, seed);
    expect(chain.length).toBe(50);
    expect(hex(chain.seed)).toBe(hex(seed));
    expect(hex(chain.root)).toBe(hex(nodeHashN(seed, 50)));
    for (let i = 0; i <= 50; i++) expect(hex(chain.preimage(i)), `tick ${i}`).toBe(hex(nodeHashN(seed, 50 - i)));
    expect(hex(chain.preimage(0))).toBe(hex(chain.root));
    expect(hex(chain.preimage(50n))).toBe(hex(seed));
  });
  it('rejects ticks outside 0..length and bad seeds', () => {
    const chain = createHashChain(4, seed);
    expect(() => chain.preimage(5)).toThrow(RangeError);
    expect(() => chain.preimage(-1)).toThrow(RangeError);
    expect(() => createHashChain(4, new Uint8Array(31))).toThrow(RangeError);
    expect(() => createHashChain(0)).toThrow(RangeError);
  });
  it('draws a fresh random seed when none is given', () => {
    const a = createHashChain(3);
    const b = createHashChain(3);
    expect(a.seed.length).toBe(32);
    expect(hex(a.seed)).not.toBe(hex(b.seed));
    expect(hex(a.root)).toBe(hex(nodeHashN(a.seed, 3)));
  });
});

describe('verifyTick', () => {
  const chain = createHashChain(20, seed);
  it('accepts consecutive ticks and gaps, like the program walking last_proof_hash forward', () => {
    let last = chain.root;
    let lastTick = 0;
    for (const tick of [1, 2, 7, 19, 20]) {
      const w = chain.preimage(tick);
      expect(verifyTick(last, lastTick, w, tick), `tick ${tick}`).toBe(true);
      last = w;
      lastTick = tick;
    }
    expect(verifyTick(chain.root, 0n, chain.preimage(12), 12n)).toBe(true);
  });
  it('rejects a wrong preimage, a wrong tick and non-advancing ticks', () => {
    expect(verifyTick(chain.root, 0, chain.preimage(5), 4)).toBe(false); // claims fewer ticks than revealed
    expect(verifyTick(chain.root, 0, chain.preimage(5), 6)).toBe(false); // claims more ticks than revealed
    const wrong = chain.preimage(5).slice();
    wrong[0] ^= 1;
    expect(verifyTick(chain.root, 0, wrong, 5)).toBe(false);
    expect(verifyTick(chain.preimage(5), 5, chain.preimage(5), 5)).toBe(false);
    expect(verifyTick(chain.preimage(5), 5, chain.preimage(4), 4)).toBe(false);
    expect(verifyTick(createHashChain(20).root, 0, chain.preimage(3), 3)).toBe(false); // another chain
  });
});
