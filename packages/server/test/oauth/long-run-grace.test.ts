import { describeLongRun } from './long-run-suite.js';

// The run with a grace window: no installation may be locked out (long-run-suite.ts).
describeLongRun('grace-30');
