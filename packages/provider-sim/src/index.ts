export { startProviderSim, type ProviderSim, type ProviderSimOptions } from './provider-sim.js';
export { runProviderSimCli, type CliIo } from './run-cli.js';
export {
  PRESET_NAMES,
  type ActiveLimitScope,
  type GraceReuseMode,
  type Knobs,
  type Personality,
  type PresetName,
  type RefreshTokenReturn,
  type RevokeOldAccess,
} from './domain/knobs.js';
export { PRESETS, type Preset } from './domain/presets.js';
export type { EventOutcome, SimEvent } from './domain/event-log.js';
export { FAULT_ACTIONS, type FaultAction, type FaultMatch, type FaultRule, type FaultRuleInput } from './domain/faults.js';
export type { ClockState } from './domain/clock.js';
export type { FamilyKind } from './domain/model.js';
export type { SimState } from './domain/sim-state.js';
export { tokenHash } from './domain/token-hash.js';
