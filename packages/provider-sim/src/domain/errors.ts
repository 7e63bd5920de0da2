/** A bad admin request (unknown preset, malformed fault rule…); the admin API answers 400. */
export class SimInputError extends Error {
  override readonly name = 'SimInputError';
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}
