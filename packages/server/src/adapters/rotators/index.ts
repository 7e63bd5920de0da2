import type { Rotator } from '../../ports/rotator.js';
import { randomRotator } from './random/random-rotator.js';

/**
 * The built-in rotators by kind: what `rotor functions create NAME --builtin KIND`
 * accepts. Each kind has its folder with its config schema and tests.
 */
export const builtinRotators: ReadonlyMap<string, Rotator<never>> = new Map<string, Rotator<never>>([
  [randomRotator.kind, randomRotator as Rotator<never>],
]);
