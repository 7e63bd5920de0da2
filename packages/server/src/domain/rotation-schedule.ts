import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { AppError } from './errors.js';

/**
 * Rotation schedules (reference §5.1, DESIGN "Schedule"). A schedule names *slots*; a
 * rotation starts exactly at its slot (plus an optional deterministic per-secret spread),
 * never at a random point of a window as AWS does.
 *
 * - `AutomaticallyAfterDays: N` and `rate(N minutes|hours|days)` count from the anchor:
 *   the last successful rotation, or the configuration time before the first one (or a
 *   manual value change when the secret asks for that, as AWS does).
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: AWS's six fields, with
 *   `? L W #`, names, and Day-of-week 1–7 = SUN–SAT. The next slot is the first fire
 *   time after the anchor, in UTC or an IANA time zone (Rotor extension).
 * - A slot in the past (downtime) runs once, now: missed slots are not replayed.
 *
 * Rotor's floor is one minute, not AWS's four hours; `rate(N minutes)` is an extension.
 */
export interface RotationRules {
  readonly AutomaticallyAfterDays?: number | undefined;
  readonly ScheduleExpression?: string | undefined;
  readonly Duration?: string | undefined;
}

/** Rotor's extensions to RotationRules, set through its own API and CLI. */
export interface ScheduleOptions {
  /** IANA zone for cron expressions; UTC when absent. */
  readonly timeZone?: string | undefined;
  /** Spread each secret deterministically inside its window instead of starting at the slot. */
  readonly spread?: boolean | undefined;
}

export type RotationSchedule =
  | { readonly kind: 'interval'; readonly intervalMs: number; readonly windowMs: number; readonly spread: boolean }
  | {
      readonly kind: 'cron';
      readonly cron: Cron;
      readonly windowMs: number;
      readonly spread: boolean;
    };

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

const invalid = (message: string) => new AppError('INVALID_PARAMETER', message);

function parseDuration(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const match = /^(\d{1,3})h$/.exec(duration);
  if (!match) throw invalid('The Duration must be a whole number of hours followed by h, for example 4h.');
  const hours = Number(match[1]);
  if (hours < 1 || hours > 24) throw invalid('The Duration must be between 1h and 24h.');
  return hours * hourMs;
}

const rateUnits: Record<string, number> = {
  minute: minuteMs,
  minutes: minuteMs,
  hour: hourMs,
  hours: hourMs,
  day: dayMs,
  days: dayMs,
};

function parseRate(expression: string): number {
  const match = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression);
  const unit = match?.[2] === undefined ? undefined : rateUnits[match[2]];
  if (!match || unit === undefined) {
    throw invalid(`Invalid rate expression ${expression}: use rate(N minutes), rate(N hours) or rate(N days).`);
  }
  // Singular and plural units are both accepted for any count ("rate(1 days)" too).
  const count = Number(match[1]);
  if (count < 1) throw invalid('A rate must be at least 1.');
  const intervalMs = count * unit;
  if (intervalMs > 1000 * dayMs) throw invalid('A rate can be at most 1000 days.');
  return intervalMs;
}

const dayNames = new Set(['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']);

/** AWS numbers days of the week 1–7 from Sunday; croner 0–6. Names pass through. */
function translateDayOfWeek(field: string): string {
  if (field === '?' || field === '*') return field;
  return field
    .split(',')
    .map((part) =>
      part.replace(/[0-9A-Za-z]+/g, (token, offset: number) => {
        const before = part[offset - 1];
        // The number after '#' (nth weekday) or '/' (step) is not a day.
        if (before === '#' || before === '/') return token;
        if (/^\d+$/.test(token)) {
          const day = Number(token);
          if (day < 1 || day > 7) throw invalid(`Invalid day of week ${token} in cron expression: use 1-7 (SUN-SAT).`);
          return String(day - 1);
        }
        const upper = token.toUpperCase();
        if (upper === 'L') return token;
        if (upper.endsWith('L') && /^\d+L$/.test(upper)) return `${Number(upper.slice(0, -1)) - 1}L`;
        if (!dayNames.has(upper)) throw invalid(`Invalid day of week ${token} in cron expression.`);
        return upper;
      }),
    )
    .join(',');
}

function parseCron(expression: string, timeZone: string | undefined): Cron {
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  const fields = match?.[1]?.trim().split(/\s+/);
  if (!fields || fields.length !== 6) {
    throw invalid(`Invalid cron expression ${expression}: use cron(Minutes Hours Day-of-month Month Day-of-week Year).`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if (year !== '*') throw invalid('The Year field of a cron expression must be *.');
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw invalid('Use ? in exactly one of Day-of-month and Day-of-week in a cron expression.');
  }
  try {
    return new Cron(`0 ${minutes} ${hours} ${dayOfMonth} ${month} ${translateDayOfWeek(dayOfWeek)}`, {
      paused: true,
      timezone: timeZone,
      // AWS ORs nothing: exactly one day field is set, the other is '?'.
      legacyMode: false,
    });
  } catch (error) {
    if (AppError.is(error)) throw error;
    throw invalid(`Invalid cron expression ${expression}: ${(error as Error).message}`);
  }
}

function assertTimeZone(timeZone: string | undefined): void {
  if (timeZone === undefined) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw invalid(`Unknown time zone ${timeZone}: use an IANA name such as Europe/Berlin.`);
  }
}

/** Validates RotationRules as RotateSecret receives them and returns the schedule they describe. */
export function parseRotationRules(rules: RotationRules, options: ScheduleOptions = {}): RotationSchedule {
  const { AutomaticallyAfterDays: days, ScheduleExpression: expression } = rules;
  if (days !== undefined && expression !== undefined) {
    throw invalid('You cannot specify both AutomaticallyAfterDays and ScheduleExpression.');
  }
  if (days === undefined && expression === undefined) {
    throw invalid('RotationRules must include AutomaticallyAfterDays or ScheduleExpression.');
  }
  assertTimeZone(options.timeZone);
  const spread = options.spread ?? false;
  const duration = parseDuration(rules.Duration);
  if (days !== undefined) {
    if (!Number.isInteger(days) || days < 1 || days > 1000) {
      throw invalid('RotationRules.AutomaticallyAfterDays must be within 1-1000.');
    }
    return { kind: 'interval', intervalMs: days * dayMs, windowMs: duration ?? dayMs, spread };
  }
  const text = expression!.trim();
  if (text.startsWith('rate(')) {
    const intervalMs = parseRate(text);
    // AWS's default window: an hour for hour schedules, the rest of the day for day schedules.
    const defaultWindow = intervalMs >= dayMs ? dayMs : Math.min(hourMs, intervalMs);
    const windowMs = duration ?? defaultWindow;
    if (windowMs > intervalMs) throw invalid('The Duration must not be longer than the rotation interval.');
    return { kind: 'interval', intervalMs, windowMs, spread };
  }
  if (text.startsWith('cron(')) {
    const cron = parseCron(text, options.timeZone);
    return { kind: 'cron', cron, windowMs: duration ?? hourMs, spread };
  }
  throw invalid(`Invalid ScheduleExpression ${text}: use rate(...) or cron(...).`);
}

/** A stable offset in [0, windowMs) for one secret, so spread is deterministic per secret. */
export function spreadOffset(secretKey: string, windowMs: number): number {
  const digest = createHash('sha256').update(secretKey).digest();
  const fraction = digest.readUInt32BE(0) / 0x1_0000_0000;
  // Whole seconds: a NextRotationDate users can read and compare.
  return Math.floor((fraction * windowMs) / 1000) * 1000;
}

/** The slot after `anchor`, before any spread and catch-up. */
export function nextSlot(schedule: RotationSchedule, anchor: number): number {
  if (schedule.kind === 'interval') return anchor + schedule.intervalMs;
  const next = schedule.cron.nextRun(new Date(anchor));
  if (!next) throw invalid('The cron expression never fires again.');
  return next.getTime();
}

/**
 * When the next rotation starts: the slot after the anchor, shifted by the secret's
 * spread when asked; a start already in the past (missed during downtime) becomes `now`,
 * so missed slots run once.
 */
export function nextRotationDate(schedule: RotationSchedule, input: { anchor: number; now: number; secretKey: string }): number {
  const slot = nextSlot(schedule, input.anchor);
  const start = schedule.spread ? slot + spreadOffset(input.secretKey, schedule.windowMs) : slot;
  return Math.max(start, input.now);
}

/** The next `count` start times, for `rotor schedule preview`, assuming each rotation succeeds at its start. */
export function previewRotationDates(
  schedule: RotationSchedule,
  input: { anchor: number; now: number; secretKey: string },
  count: number,
): number[] {
  const dates: number[] = [];
  let anchor = input.anchor;
  let now = input.now;
  for (let i = 0; i < count; i++) {
    const start = nextRotationDate(schedule, { anchor, now, secretKey: input.secretKey });
    dates.push(start);
    // A spread start lies inside its window; the following slot counts from the slot, not the spread.
    anchor = schedule.kind === 'cron' ? Math.max(start, nextSlot(schedule, anchor)) : start;
    now = start;
  }
  return dates;
}

/** The whole-day equivalent DescribeSecret reports as AutomaticallyAfterDays. */
export function equivalentDays(schedule: RotationSchedule): number | undefined {
  if (schedule.kind !== 'interval') return undefined;
  return Math.max(1, Math.round(schedule.intervalMs / dayMs));
}
