/**
 * A seedable pseudo-random generator (sfc32, seeded through splitmix32).
 *
 * Token bytes, generated ids, jittered lifetimes and fault probabilities all come from
 * here so that a run with the same seed and the same request order is reproducible.
 * It is not cryptographically secure, and does not need to be: the tokens are fakes.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // Fold seeds above 2^32 into 32 bits so any safe integer is a usable seed.
    let state = (seed ^ Math.floor(seed / 4294967296)) >>> 0;
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = splitmix32();
    this.#b = splitmix32();
    this.#c = splitmix32();
    this.#d = splitmix32();
    // sfc32 is weak for its first outputs; discard a few.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A float in [min, max]. */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** `length` characters drawn uniformly enough from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet.charAt(this.nextUint32() % alphabet.length);
    return out;
  }

  /** An independent generator, so that one consumer's draws do not shift another's. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}
