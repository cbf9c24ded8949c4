// HMAC-SHA-256 of many short texts at once, four at a time in WebAssembly's 128-bit lanes (FIPS
// 180-4, RFC 2104): the DSN import hashes the NIR of every line, a million a month, and one
// compression of four lanes costs about what one costs in JavaScript (docs/PERFORMANCE.md, "DSN
// import, session 20"). The module is assembled here, instruction by instruction, at first use:
// no binary in the repository, no tool to build it. Tested against node:crypto byte for byte
// (test/infra/nir-hashes.test.ts).

import { K, keyBlockState, sha256 } from '../domain/hmac';

/** Texts hashed in one call into the module (groups of four). */
const BATCH = 1024;
/** The module's memory: the key's two states, then the blocks in, then the digests out. */
const INNER_STATE = 0;
const OUTER_STATE = 128;
const BLOCKS = 256;
const DIGESTS = BLOCKS + BATCH * 64;
const PAGES = Math.ceil((DIGESTS + BATCH * 32) / 65536);

/** Unsigned LEB128. */
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
/** Signed LEB128 of a 32-bit integer. */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
/** A section or a body: its size, then its bytes. */
const sized = (bytes: number[]): number[] => [...uleb(bytes.length), ...bytes];

/**
 * The module: `hash(groups)` computes, for each group of four blocks at BLOCKS (16 words of four
 * lanes each, word `i` of lane `l` at `i * 16 + l * 4`, each block one padded text after the
 * key's), the HMAC's 32 bytes of each lane, big-endian, one after the other at DIGESTS; the key's
 * two states (after the key XOR ipad, XOR opad), a word of four equal lanes each, are at
 * INNER_STATE and OUTER_STATE.
 */
function assemble(): Uint8Array {
  const code: number[] = [];
  const simd = (op: number, ...rest: number[]) => code.push(0xfd, ...uleb(op), ...rest);
  // Locals: 0 the groups left (the parameter), 1 the block read, 2 the digest written, then the
  // v128s: 3-10 the state's eight words, 11-26 the schedule's sixteen, 27 T1.
  const GROUPS = 0;
  const IN = 1;
  const OUT = 2;
  const STATE = 3;
  const W = 11;
  const T1 = 27;
  const get = (l: number) => code.push(0x20, ...uleb(l));
  const set = (l: number) => code.push(0x21, ...uleb(l));
  const i32 = (v: number) => code.push(0x41, ...sleb(v | 0));
  const load = (offset: number) => simd(0x00, 4, ...uleb(offset));
  const splat = (v: number) => {
    const bytes: number[] = [];
    for (let l = 0; l < 4; l++) bytes.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
    simd(0x0c, ...bytes);
  };
  const or = () => simd(0x50);
  const xor = () => simd(0x51);
  const bitselect = () => simd(0x52);
  const add = () => simd(0xae);
  const shl = (n: number) => {
    i32(n);
    simd(0xab);
  };
  const shr = (n: number) => {
    i32(n);
    simd(0xad);
  };
  /** rotr(x, n), x the local `l`. */
  const rotr = (l: number, n: number) => {
    get(l);
    shr(n);
    get(l);
    shl(32 - n);
    or();
  };
  /** The three rotations of local `l` XORed; a shift instead of the third when `shift`. */
  const sigma = (l: number, r1: number, r2: number, r3: number, shift = false) => {
    rotr(l, r1);
    rotr(l, r2);
    xor();
    if (shift) {
      get(l);
      shr(r3);
    } else rotr(l, r3);
    xor();
  };

  /** One compression of the state's locals from `from` (INNER_STATE or OUTER_STATE). */
  const compress = (from: number) => {
    for (let i = 0; i < 8; i++) {
      i32(0);
      load(from + i * 16);
      set(STATE + i);
    }
    // s[0..7]: the locals holding a..h this round (renamed round to round, nothing moved).
    let s = Array.from({ length: 8 }, (_, i) => STATE + i);
    for (let t = 0; t < 64; t++) {
      const w = W + (t % 16);
      if (t >= 16) {
        // w[t] = σ1(w[t-2]) + w[t-7] + σ0(w[t-15]) + w[t-16], in place of w[t-16].
        sigma(W + ((t - 2) % 16), 17, 19, 10, true);
        get(W + ((t - 7) % 16));
        add();
        sigma(W + ((t - 15) % 16), 7, 18, 3, true);
        add();
        get(w);
        add();
        set(w);
      }
      const [a, b, c, d, e, f, g, h] = s as [number, number, number, number, number, number, number, number];
      // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + w[t]; Ch is f where e has a 1, g elsewhere.
      get(h);
      sigma(e, 6, 11, 25);
      add();
      get(f);
      get(g);
      get(e);
      bitselect();
      add();
      splat(K[t]!);
      add();
      get(w);
      add();
      set(T1);
      // d += T1
      get(d);
      get(T1);
      add();
      set(d);
      // h = T1 + Σ0(a) + Maj(a, b, c); Maj is c where a and b differ, b elsewhere.
      get(T1);
      sigma(a, 2, 13, 22);
      add();
      get(c);
      get(b);
      get(a);
      get(b);
      xor();
      bitselect();
      add();
      set(h);
      s = [h, a, b, c, d, e, f, g];
    }
    // Eight rounds of eight renamings: the locals hold a..h in order again; add the state in.
    for (let i = 0; i < 8; i++) {
      get(STATE + i);
      i32(0);
      load(from + i * 16);
      add();
      set(STATE + i);
    }
  };

  // block $done, loop $next: while groups > 0.
  code.push(0x02, 0x40, 0x03, 0x40);
  get(GROUPS);
  code.push(0x45, 0x0d, 1); // i32.eqz, br_if $done
  for (let i = 0; i < 16; i++) {
    get(IN);
    load(i * 16);
    set(W + i);
  }
  compress(INNER_STATE);
  // The outer block: the inner digest, its padding, its length (64 + 32 bytes).
  for (let i = 0; i < 8; i++) {
    get(STATE + i);
    set(W + i);
  }
  splat(0x80000000);
  set(W + 8);
  for (let i = 9; i < 15; i++) {
    splat(0);
    set(W + i);
  }
  splat((64 + 32) * 8);
  set(W + 15);
  compress(OUTER_STATE);
  // Each lane's eight words, big-endian, one digest after the other.
  for (let i = 0; i < 8; i++) {
    get(STATE + i);
    get(STATE + i);
    simd(0x0d, ...[3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]); // i8x16.shuffle
    set(STATE + i);
    for (let l = 0; l < 4; l++) {
      get(OUT);
      get(STATE + i);
      simd(0x5a, 2, ...uleb(l * 32 + i * 4), l); // v128.store32_lane
    }
  }
  // in += 256, out += 128, groups -= 1
  for (const [l, step] of [
    [IN, 256],
    [OUT, 128],
    [GROUPS, -1],
  ] as const) {
    get(l);
    i32(step);
    code.push(0x6a);
    set(l);
  }
  code.push(0x0c, 0, 0x0b, 0x0b); // br $next, end loop, end block

  // The body: locals 1-2 i32 (the two pointers, set first), 3-27 v128.
  const body = [2, 2, 0x7f, 25, 0x7b];
  const prologue: number[] = [0x41, ...sleb(BLOCKS), 0x21, IN, 0x41, ...sleb(DIGESTS), 0x21, OUT];
  const func = sized([...body, ...prologue, ...code, 0x0b]);
  const name = (s: string) => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[1, ...sized([1, 0x60, 1, 0x7f, 0])], // type: (i32) -> ()
    ...[3, ...sized([1, 0])], // function 0 of type 0
    ...[5, ...sized([1, 0, ...uleb(PAGES)])], // one memory
    ...[7, ...sized([2, ...name('memory'), 2, 0, ...name('hash'), 0, 0])],
    ...[10, ...sized([1, ...func])],
  ]);
}

/** WebAssembly, as this module uses it (the compiler's libraries here do not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => {
    exports: { memory: { buffer: ArrayBuffer }; hash: (groups: number) => void };
  };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
let compiled: object | undefined;

/** The module, compiled once a process: a thread given it (workerData) compiles none. */
export const lanesModule = (): object => (compiled ??= new wasm.Module(assemble()));

/** Texts queued, their digests written where each asked at the next `flush`. */
export interface HmacLanes {
  /**
   * `bytes[start, end)`, at most 55 ASCII characters, queued: its 32 bytes go to `at` in the
   * buffer the next `flush` is given. False (nothing queued) for any other text.
   */
  queue(bytes: Uint8Array, start: number, end: number, at: number): boolean;
  /** The queue is full: flush it before queueing more. */
  readonly full: boolean;
  /** Every queued text hashed, its digest written into `out` where it asked; the queue emptied. */
  flush(out: Uint8Array): void;
  /** The queue emptied, nothing written (a piece begins: nothing of another may be left). */
  clear(): void;
}

/**
 * HMAC-SHA-256 under a key, for short ASCII texts queued then hashed four at a time: the same
 * bytes as `createHmac('sha256', key).update(text)`'s (a key longer than a block is hashed first,
 * as RFC 2104 says).
 */
export function hmacLanes(key: Uint8Array, module = lanesModule()): HmacLanes {
  if (key.length > 64) key = sha256(key);
  const { memory, hash } = new wasm.Instance(module).exports;
  // The memory never grows: these views stay valid.
  const words = new Int32Array(memory.buffer);
  const bytes = new Uint8Array(memory.buffer);
  for (const [from, state] of [
    [INNER_STATE, keyBlockState(key, 0x36)],
    [OUTER_STATE, keyBlockState(key, 0x5c)],
  ] as const)
    for (let i = 0; i < 8; i++) words.fill(state[i]!, from / 4 + i * 4, from / 4 + i * 4 + 4);
  const targets = new Int32Array(BATCH);
  let queued = 0;
  return {
    queue(ascii, start, end, at) {
      const n = end - start;
      if (n < 0 || n > 55 || queued >= BATCH) return false;
      // Word i of this lane: BLOCKS + (group * 16 + i) * 16 + lane * 4, in 32-bit words.
      const base = (BLOCKS >> 2) + (queued >> 2) * 64 + (queued & 3);
      let word = 0;
      let i = 0;
      for (; i < n; i++) {
        const ch = ascii[start + i]!;
        if (ch > 127) return false;
        word = (word << 8) | ch;
        if ((i & 3) === 3) {
          words[base + (i >> 2) * 4] = word;
          word = 0;
        }
      }
      // The padding's first byte, then zeros to the length.
      word = (word << 8) | 0x80;
      for (i++; (i & 3) !== 0; i++) word <<= 8;
      words[base + ((i >> 2) - 1) * 4] = word;
      for (let k = i >> 2; k < 15; k++) words[base + k * 4] = 0;
      words[base + 60] = (64 + n) * 8;
      targets[queued++] = at;
      return true;
    },
    get full() {
      return queued === BATCH;
    },
    flush(out) {
      if (queued === 0) return;
      hash((queued + 3) >> 2);
      for (let k = 0; k < queued; k++) {
        const from = DIGESTS + k * 32;
        const at = targets[k]!;
        for (let j = 0; j < 32; j++) out[at + j] = bytes[from + j]!;
      }
      queued = 0;
    },
    clear() {
      queued = 0;
    },
  };
}
