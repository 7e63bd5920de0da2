import { isPresetName, PRESET_NAMES } from './domain/knobs.js';
import { startProviderSim, type ProviderSim } from './provider-sim.js';

const USAGE = `usage: rotor-provider-sim [--port 7500] [--host 127.0.0.1] [--preset <name>] [--seed N] [--now EPOCH_SECONDS]

Starts the in-memory Slack / OAuth2 provider simulator. With --preset, creates one app and
prints its client_id and client_secret. Presets: ${PRESET_NAMES.join(', ')}.
Admin API: <url>/_sim/ (apps, install, clock, faults, events, families); see the package README.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/**
 * Runs the simulator CLI; resolves with the running simulator (or null after --help / bad
 * arguments, with `process.exitCode` set). The Rotor CLI's `rotor dev provider-sim` calls this.
 */
export async function runProviderSimCli(argv: readonly string[], io: CliIo = consoleIo): Promise<ProviderSim | null> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      io.out(USAGE);
      return null;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const value = match?.[2] ?? argv[i + 1];
    if (!match?.[1] || value === undefined) {
      io.err(`unexpected argument ${arg}\n${USAGE}`);
      process.exitCode = 2;
      return null;
    }
    flags.set(match[1], value);
    if (match[2] === undefined) i++;
  }
  const unknown = [...flags.keys()].filter((flag) => !['port', 'host', 'preset', 'seed', 'now'].includes(flag));
  const numberFlag = (name: string): number | undefined => (flags.has(name) ? Number(flags.get(name)) : undefined);
  const numbers = ['port', 'seed', 'now'].filter((name) => flags.has(name) && !Number.isFinite(numberFlag(name)));
  const preset = flags.get('preset');
  if (unknown.length > 0 || numbers.length > 0 || (preset !== undefined && !isPresetName(preset))) {
    io.err(`bad arguments: ${[...unknown.map((f) => `--${f}`), ...numbers.map((f) => `--${f} must be a number`), ...(preset !== undefined && !isPresetName(preset) ? [`unknown preset ${preset}`] : [])].join(', ')}\n${USAGE}`);
    process.exitCode = 2;
    return null;
  }

  const sim = await startProviderSim({
    port: numberFlag('port') ?? 7500,
    host: flags.get('host') ?? '127.0.0.1',
    ...(flags.has('seed') ? { seed: numberFlag('seed') } : {}),
    ...(flags.has('now') ? { now: numberFlag('now') } : {}),
  });
  io.out(`provider-sim listening on ${sim.url} (seed ${sim.seed})`);
  if (preset !== undefined && isPresetName(preset)) {
    const app = sim.state.createApp({ preset });
    io.out(`preset:        ${preset} (${app.personality})`);
    io.out(`client_id:     ${app.client_id}`);
    io.out(`client_secret: ${app.client_secret}`);
    if (app.personality === 'slack') {
      io.out(`slack api url: ${sim.url}/api/`);
    } else {
      io.out(`token url:     ${sim.url}/oauth2/token`);
    }
  }
  io.out(`admin api:     ${sim.url}/_sim/  (GET /_sim/events, /_sim/families, POST /_sim/clock, /_sim/faults)`);
  return sim;
}
