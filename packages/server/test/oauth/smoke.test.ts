import { afterEach, describe, expect, it } from 'vitest';
import { OAuthHarness } from '../support/oauth-harness.js';

describe('slack rotation end to end', () => {
  let harness: OAuthHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('imports an installation, schedules its refresh at half the lifetime and refreshes it on time', async () => {
    harness = await OAuthHarness.start();
    const { name } = await harness.install({ team_id: 'T1', user: true });
    const before = await harness.currentValue(name);
    expect(before.value.bot!.access_token).toMatch(/^xoxe\.xoxb-/);
    const described = await harness.describe(name);
    expect(described.RotationEnabled).toBe(true);
    const due = described.NextRotationDate!.getTime() / 1000;
    expect(due).toBeGreaterThan(harness.nowSeconds() + 6 * 3600 - 60);
    expect(due).toBeLessThan(harness.nowSeconds() + 6 * 3600 + 60);
    await harness.advance(6 * 3600 + 1);
    await harness.settled(name);
    const { until } = await import('../support/rotation-probes.js');
    await until(() => harness!.currentValue(name), (current) => current.versionId !== before.versionId, { timeoutMs: 10_000 });
    const after = await harness.currentValue(name);
    expect(after.value.bot!.access_token).not.toBe(before.value.bot!.access_token);
    expect(after.value.user!.access_token).toBe(before.value.user!.access_token);
    expect((await harness.acceptedRefreshes()).length).toBe(1);
    const fresh = await harness.ensureFresh(name, { minValidSeconds: 60 });
    expect(fresh.status).toBe(200);
    expect(fresh.body.AccessToken).toBe(after.value.bot!.access_token);
  });
});
