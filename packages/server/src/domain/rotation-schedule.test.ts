import { describe, expect, it } from 'vitest';
import { nextRotationDate, parseRotationRules, previewRotationDates, spreadOffset } from './rotation-schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

function next(rules: Parameters<typeof parseRotationRules>[0], anchor: string, now = anchor, options = {}) {
  return iso(nextRotationDate(parseRotationRules(rules, options), { anchor: at(anchor), now: at(now), secretKey: 'arn:s' }));
}

describe('interval schedules', () => {
  it('rotates AutomaticallyAfterDays after the last rotation, to the millisecond', () => {
    expect(next({ AutomaticallyAfterDays: 1 }, '2026-05-01T13:17:05.250Z')).toBe('2026-05-02T13:17:05.250Z');
  });

  it('accepts rate() in minutes, down to one minute', () => {
    expect(next({ ScheduleExpression: 'rate(1 minute)' }, '2026-05-01T00:00:00Z')).toBe('2026-05-01T00:01:00.000Z');
    expect(next({ ScheduleExpression: 'rate(15 minutes)' }, '2026-05-01T00:00:00Z')).toBe('2026-05-01T00:15:00.000Z');
  });

  it('accepts rate() in hours and days, singular or plural', () => {
    expect(next({ ScheduleExpression: 'rate(4 hours)' }, '2026-05-01T00:00:00Z')).toBe('2026-05-01T04:00:00.000Z');
    expect(next({ ScheduleExpression: 'rate(1 day)' }, '2026-05-01T00:00:00Z')).toBe('2026-05-02T00:00:00.000Z');
    expect(next({ ScheduleExpression: 'rate(2 days)' }, '2026-05-01T00:00:00Z')).toBe('2026-05-03T00:00:00.000Z');
  });

  it('runs a slot missed during downtime once, now, instead of once per missed slot', () => {
    const schedule = parseRotationRules({ ScheduleExpression: 'rate(10 minutes)' });
    const now = at('2026-05-01T05:00:00Z');
    const first = nextRotationDate(schedule, { anchor: at('2026-05-01T00:00:00Z'), now, secretKey: 's' });
    expect(first).toBe(now);
    // After that catch-up rotation the schedule counts from it, not from the missed slots.
    expect(nextRotationDate(schedule, { anchor: first, now: first, secretKey: 's' })).toBe(now + 10 * minute);
  });

  it('refuses invalid rules with AWS-style messages', () => {
    expect(() => parseRotationRules({ AutomaticallyAfterDays: 0 })).toThrow('RotationRules.AutomaticallyAfterDays must be within 1-1000.');
    expect(() => parseRotationRules({ AutomaticallyAfterDays: 1001 })).toThrow('must be within 1-1000');
    expect(() => parseRotationRules({ AutomaticallyAfterDays: 1, ScheduleExpression: 'rate(1 day)' })).toThrow(/both/);
    expect(() => parseRotationRules({})).toThrow(/AutomaticallyAfterDays or ScheduleExpression/);
    expect(() => parseRotationRules({ ScheduleExpression: 'rate(0 minutes)' })).toThrow(/at least 1/);
    expect(() => parseRotationRules({ ScheduleExpression: 'rate(5 weeks)' })).toThrow(/rate\(N minutes\)/);
    expect(() => parseRotationRules({ ScheduleExpression: 'every day' })).toThrow(/rate\(\.\.\.\) or cron/);
    expect(() => parseRotationRules({ ScheduleExpression: 'rate(1 hour)', Duration: '2h' })).toThrow(/Duration/);
    expect(() => parseRotationRules({ AutomaticallyAfterDays: 1, Duration: '2 hours' })).toThrow(/Duration/);
  });
});

describe('cron schedules', () => {
  it('fires at the next matching minute in UTC', () => {
    expect(next({ ScheduleExpression: 'cron(0 16 1,15 * ? *)' }, '2026-05-01T16:00:00Z')).toBe('2026-05-15T16:00:00.000Z');
  });

  it('numbers days of the week 1-7 from Sunday, as AWS does', () => {
    // 2026-05-01 is a Friday; 6 is Friday in AWS numbering.
    expect(next({ ScheduleExpression: 'cron(0 9 ? * 6 *)' }, '2026-05-01T10:00:00Z')).toBe('2026-05-08T09:00:00.000Z');
    expect(next({ ScheduleExpression: 'cron(0 9 ? * 1 *)' }, '2026-05-01T10:00:00Z')).toBe('2026-05-03T09:00:00.000Z');
  });

  it('understands day names and ranges', () => {
    expect(next({ ScheduleExpression: 'cron(0 8 ? * MON-FRI *)' }, '2026-05-01T09:00:00Z')).toBe('2026-05-04T08:00:00.000Z');
  });

  it('understands L for the last day of the month', () => {
    expect(next({ ScheduleExpression: 'cron(0 0 L * ? *)' }, '2026-02-03T00:00:00Z')).toBe('2026-02-28T00:00:00.000Z');
  });

  it('understands W for the nearest weekday', () => {
    // 2026-03-15 is a Sunday: the nearest weekday is Monday the 16th.
    expect(next({ ScheduleExpression: 'cron(0 10 15W * ? *)' }, '2026-03-01T00:00:00Z')).toBe('2026-03-16T10:00:00.000Z');
  });

  it('understands # for the nth weekday of the month, in AWS numbering', () => {
    // 6#3: the third Friday.
    expect(next({ ScheduleExpression: 'cron(0 10 ? * 6#3 *)' }, '2026-03-01T00:00:00Z')).toBe('2026-03-20T10:00:00.000Z');
    expect(next({ ScheduleExpression: 'cron(0 10 ? * SUN#1 *)' }, '2026-03-01T12:00:00Z')).toBe('2026-04-05T10:00:00.000Z');
  });

  it('understands nL for the last given weekday of the month', () => {
    expect(next({ ScheduleExpression: 'cron(0 10 ? * 6L *)' }, '2026-03-01T00:00:00Z')).toBe('2026-03-27T10:00:00.000Z');
  });

  it('allows minute-level cron, an extension over AWS', () => {
    expect(next({ ScheduleExpression: 'cron(*/5 * * * ? *)' }, '2026-03-01T00:02:00Z')).toBe('2026-03-01T00:05:00.000Z');
  });

  it('follows a time zone across the spring-forward change', () => {
    // 02:30 does not exist in New York on 2026-03-08; 03:30 local is 07:30Z after the change.
    const rules = { ScheduleExpression: 'cron(30 3 * * ? *)' };
    expect(next(rules, '2026-03-07T12:00:00Z', undefined, { timeZone: 'America/New_York' })).toBe('2026-03-08T07:30:00.000Z');
    expect(next(rules, '2026-03-06T12:00:00Z', undefined, { timeZone: 'America/New_York' })).toBe('2026-03-07T08:30:00.000Z');
  });

  it('follows a time zone across the fall-back change', () => {
    const rules = { ScheduleExpression: 'cron(0 9 * * ? *)' };
    expect(next(rules, '2026-10-24T12:00:00Z', undefined, { timeZone: 'Europe/Berlin' })).toBe('2026-10-25T08:00:00.000Z');
    expect(next(rules, '2026-10-23T12:00:00Z', undefined, { timeZone: 'Europe/Berlin' })).toBe('2026-10-24T07:00:00.000Z');
  });

  it('refuses malformed cron expressions', () => {
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 10 * * *)' })).toThrow(/Minutes Hours/);
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 10 * * ? 2027)' })).toThrow(/Year/);
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 10 1 * MON *)' })).toThrow(/exactly one/);
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 10 ? * 8 *)' })).toThrow(/day of week/);
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 99 * * ? *)' })).toThrow(/Invalid cron/);
    expect(() => parseRotationRules({ ScheduleExpression: 'cron(0 9 * * ? *)' }, { timeZone: 'Mars/Olympus' })).toThrow(/time zone/);
  });
});

describe('spread inside the window', () => {
  it('is deterministic per secret and stays inside the window', () => {
    const offsets = ['a', 'b', 'c', 'd'].map((key) => spreadOffset(key, 4 * hour));
    expect(offsets).toEqual(['a', 'b', 'c', 'd'].map((key) => spreadOffset(key, 4 * hour)));
    for (const offset of offsets) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(4 * hour);
    }
    expect(new Set(offsets).size).toBeGreaterThan(1);
  });

  it('shifts NextRotationDate by the secret offset when spread is on', () => {
    const schedule = parseRotationRules({ ScheduleExpression: 'cron(0 2 * * ? *)', Duration: '4h' }, { spread: true });
    const anchor = at('2026-05-01T03:00:00Z');
    const start = nextRotationDate(schedule, { anchor, now: anchor, secretKey: 'arn:x' });
    expect(start).toBe(at('2026-05-02T02:00:00Z') + spreadOffset('arn:x', 4 * hour));
  });

  it('starts at the slot itself when spread is off', () => {
    expect(next({ ScheduleExpression: 'cron(0 2 * * ? *)', Duration: '4h' }, '2026-05-01T03:00:00Z')).toBe('2026-05-02T02:00:00.000Z');
  });
});

describe('schedule preview', () => {
  it('lists the next starts, each counted from the one before', () => {
    const schedule = parseRotationRules({ ScheduleExpression: 'rate(6 hours)' });
    const dates = previewRotationDates(schedule, { anchor: at('2026-05-01T00:00:00Z'), now: at('2026-05-01T00:00:00Z'), secretKey: 's' }, 3);
    expect(dates.map(iso)).toEqual(['2026-05-01T06:00:00.000Z', '2026-05-01T12:00:00.000Z', '2026-05-01T18:00:00.000Z']);
  });

  it('lists spread cron starts on consecutive days', () => {
    const schedule = parseRotationRules({ ScheduleExpression: 'cron(0 2 * * ? *)', Duration: '3h' }, { spread: true });
    const offset = spreadOffset('s', 3 * hour);
    const dates = previewRotationDates(schedule, { anchor: at('2026-05-01T03:00:00Z'), now: at('2026-05-01T03:00:00Z'), secretKey: 's' }, 3);
    expect(dates).toEqual([1, 2, 3].map((n) => at('2026-05-01T02:00:00Z') + n * day + offset));
  });
});
