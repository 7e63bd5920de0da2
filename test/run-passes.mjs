/* global process, console, Buffer */
/**
 * The test passes of `npm test`: every suite on SQLite (`test:sqlite`); then, side by side,
 * the server suites on PostgreSQL (`test:postgres`) and the OAuth long runs
 * (`test:longrun`: 1,000 installations × 30 simulated days, twice). The long runs keep one
 * core busy with Rotor's thread for minutes while the PostgreSQL pass mostly waits on the
 * database, so running them together saves minutes of CI time. Every pass runs even when
 * another fails, so one CI run reports all of them. Each prints its own "Tests: …" line
 * (test/summary-reporter.ts); this prints their sum last, which is the line CI reads, and
 * exits non-zero if any pass failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Stages run one after another; the passes of a stage run at once. */
const stages = [
  [{ label: 'SQLite', script: 'test:sqlite' }],
  [
    { label: 'PostgreSQL', script: 'test:postgres' },
    // Its output is held back and printed whole when it ends, so the two logs do not interleave.
    { label: 'OAuth long run', script: 'test:longrun', buffered: true },
  ],
];

const scratch = mkdtempSync(join(tmpdir(), 'rotor-test-passes-'));
const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let status = 0;

function runPass(pass, index) {
  const summaryFile = join(scratch, `pass-${index}.json`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', pass.script], {
      stdio: pass.buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, ROTOR_TEST_SUMMARY_FILE: summaryFile },
    });
    const output = [];
    if (pass.buffered) {
      child.stdout.on('data', (chunk) => output.push(chunk));
      child.stderr.on('data', (chunk) => output.push(chunk));
    }
    child.once('close', (exitCode) => {
      if (pass.buffered) {
        process.stdout.write(`\n==> ${pass.label} (run beside the pass above)\n`);
        process.stdout.write(Buffer.concat(output));
      }
      const code = exitCode ?? 1;
      if (code !== 0) status = code;
      // No summary means vitest died before reporting: count the pass as one failure.
      const counts = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      for (const key of Object.keys(total)) total[key] += counts[key];
      const seconds = Math.round((Date.now() - started) / 1000);
      resolve(`${pass.label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds} s`);
    });
  });
}

try {
  let index = 0;
  for (const stage of stages) {
    const results = await Promise.all(stage.map((pass) => runPass(pass, index++)));
    lines.push(...results);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`\n${lines.join('\n')}`);
console.log(`Tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(status);
