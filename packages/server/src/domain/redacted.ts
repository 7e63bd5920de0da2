/**
 * Secret material travels wrapped in Redacted so that logging, JSON encoding,
 * string interpolation or `util.inspect` of any object holding it prints a
 * placeholder. Only `reveal()` gives the value, and only the code that must
 * encrypt, compare or return it calls that.
 */
const placeholder = '[REDACTED]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Redacted<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return placeholder;
  }

  toJSON(): string {
    return placeholder;
  }

  [inspectSymbol](): string {
    return placeholder;
  }
}

export function redact<T>(value: T): Redacted<T> {
  return new Redacted(value);
}
