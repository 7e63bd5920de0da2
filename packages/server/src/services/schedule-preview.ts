import { AppError } from '../domain/errors.js';
import { parseRotationRules, previewRotationDates, type RotationRules } from '../domain/rotation-schedule.js';
import type { SecretServiceDeps } from './context.js';
import { requireSecret } from './resolve-secret.js';

export interface SchedulePreview {
  SecretId: string;
  Name: string;
  RotationEnabled: boolean;
  Rules: RotationRules;
  TimeZone: string | null;
  Spread: boolean;
  /** The next start times, assuming each rotation succeeds when it starts. */
  Dates: Date[];
}

/** Most dates one preview computes. */
export const maxPreviewDates = 100;

/**
 * `rotor schedule preview`: the next N rotation starts of a secret, from its stored
 * configuration, computed exactly as the scheduler computes them. The interval counts
 * from the stored anchor (last rotation, configuration or manual change); while a full
 * rotation runs, from now, where its success will put the anchor. A test-only run
 * (RotateImmediately=false) moves no anchor, so it changes nothing here.
 */
export function createSchedulePreview(deps: Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>) {
  const { store, clock, installation } = deps;
  return async function schedulePreview(secretId: string, count: number): Promise<SchedulePreview> {
    if (!Number.isInteger(count) || count < 1 || count > maxPreviewDates) {
      throw new AppError('VALIDATION', `n must be a whole number from 1 to ${maxPreviewDates}.`);
    }
    const now = clock.now();
    const secret = await requireSecret(store, installation, secretId, now);
    const config = await store.getRotationConfig(secret.arn);
    if (config?.rules.AutomaticallyAfterDays === undefined && config?.rules.ScheduleExpression === undefined) {
      throw new AppError(
        'INVALID_REQUEST',
        `Secret ${secret.name} has no rotation schedule; give it one with RotateSecret's RotationRules (rotor rotate --schedule).`,
      );
    }
    const schedule = parseRotationRules(config.rules, { timeZone: config.timeZone, spread: config.spread });
    const latest = (await store.listRotations(secret.arn, 1))[0];
    const rotating = latest !== undefined && latest.mode === 'full' && (latest.state === 'running' || latest.state === 'retrying');
    const anchor = rotating ? now : config.anchorAt;
    const dates = previewRotationDates(schedule, { anchor, now, secretKey: secret.arn }, count);
    return {
      SecretId: secret.arn,
      Name: secret.name,
      RotationEnabled: config.enabled,
      Rules: { ...config.rules },
      TimeZone: config.timeZone ?? null,
      Spread: config.spread,
      Dates: dates.map((at) => new Date(at)),
    };
  };
}
