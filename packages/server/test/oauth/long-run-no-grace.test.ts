import { describeLongRun } from './long-run-suite.js';

// The run without a grace window: every lockout reported once, no refresh loops (long-run-suite.ts).
describeLongRun('grace-0');
