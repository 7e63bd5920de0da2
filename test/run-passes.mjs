/* global process, console */
/**
 * The test passes of `npm test`: every suite on SQLite (`test:sqlite`), then the server
 * suites on PostgreSQL (`test:postgres`). Both run even when the first fails, so one CI
 * run reports both backends. Each pass prints its own "Tests: …" line
 * (test/summary-reporter.ts); this prints their sum last, which is the line CI reads, and
 * exits non-zero if any pass failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const passes = [
  { label: 'SQLite', script: 'test:sqlite' },
  { label: 'PostgreSQL', script: 'test:postgres' },
];

const scratch = mkdtempSync(join(tmpdir(), 'rotor-test-passes-'));
const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let status = 0;
try {
  for (const [index, pass] of passes.entries()) {
    const summaryFile = join(scratch, `pass-${index}.json`);
    const started = Date.now();
    const run = spawnSync('npm', ['run', '--silent', pass.script], {
      stdio: 'inherit',
      env: { ...process.env, ROTOR_TEST_SUMMARY_FILE: summaryFile },
    });
    const code = run.status ?? 1;
    if (code !== 0) status = code;
    // No summary means vitest died before reporting: count the pass as one failure.
    const counts = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
    for (const key of Object.keys(total)) total[key] += counts[key];
    const seconds = Math.round((Date.now() - started) / 1000);
    lines.push(`${pass.label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds} s`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`\n${lines.join('\n')}`);
console.log(`Tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(status);
