import { spawn } from 'node:child_process';
import { extname } from 'node:path';
import { RotationStepError } from '../../domain/rotation.js';
import type { StepInvoker } from '../../ports/rotation-function.js';

/**
 * Runs an AWS-Lambda-style rotation handler (`FILE:EXPORT`, Python or Node) as a local
 * process per step. The process gets the event on stdin and the environment an AWS
 * rotation function expects — region, the Secrets Manager endpoint (Rotor) and the
 * rotation's short-lived credentials — so an unmodified handler that uses boto3 or the
 * JS SDK runs against Rotor. Nothing of Rotor's own environment (root key) is passed on.
 */
export interface HandlerConfig {
  readonly file: string;
  readonly export: string;
  readonly runtime: 'python' | 'node';
  /** Extra environment for the handler (the template's EXCLUDE_CHARACTERS, say). */
  readonly environment: Readonly<Record<string, string>>;
}

const errorMarker = 'ROTOR_HANDLER_ERROR ';

const pythonRunner = `
import importlib.util, json, os, sys, time
path, export = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
deadline = time.time() + float(os.environ.get("ROTOR_STEP_TIMEOUT_MS", "30000")) / 1000
class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    aws_request_id = os.environ.get("ROTOR_INVOCATION_ID", "")
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))
try:
    spec = importlib.util.spec_from_file_location("rotation_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    getattr(module, export)(json.loads(sys.stdin.read()), Context())
except BaseException as error:
    sys.stderr.write("\\n${errorMarker}" + json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}) + "\\n")
    sys.exit(1)
`;

const nodeRunner = `
import { pathToFileURL } from 'node:url';
const [path, name] = process.argv.slice(-2);
const deadline = Date.now() + Number(process.env.ROTOR_STEP_TIMEOUT_MS ?? 30000);
let input = '';
for await (const chunk of process.stdin) input += chunk;
try {
  const module = await import(pathToFileURL(path).href);
  const handler = module[name] ?? module.default?.[name];
  if (typeof handler !== 'function') throw new TypeError('export ' + name + ' is not a function');
  await handler(JSON.parse(input), {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: process.env.ROTOR_INVOCATION_ID,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  });
} catch (error) {
  process.stderr.write('\\n${errorMarker}' + JSON.stringify({ errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) }) + '\\n');
  process.exit(1);
}
`;

export function runtimeOf(file: string): 'python' | 'node' | undefined {
  const extension = extname(file);
  if (extension === '.py') return 'python';
  if (['.js', '.mjs', '.cjs'].includes(extension)) return 'node';
  return undefined;
}

/** The last error the runner reported, or the last stderr line. */
function describeFailure(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const marked = stderr.lastIndexOf(errorMarker);
  if (marked >= 0) {
    try {
      const { errorType, errorMessage } = JSON.parse(stderr.slice(marked + errorMarker.length).split('\n', 1)[0]!) as {
        errorType: string;
        errorMessage: string;
      };
      return `${errorType}: ${errorMessage}`;
    } catch {
      // fall through to the plain description
    }
  }
  const last = stderr.trim().split('\n').pop();
  return `the handler exited with ${signal ?? `code ${code}`}${last ? `: ${last}` : ''}`;
}

export function createProcessInvoker(deps: {
  config: HandlerConfig;
  functionName: string;
  region: string;
  /** Rotor's URL as the handler should reach it. */
  endpointUrl: string;
}): StepInvoker {
  const { config } = deps;
  return {
    invoke(event, context) {
      return new Promise<void>((resolve, reject) => {
        const args =
          config.runtime === 'python'
            ? ['-c', pythonRunner, config.file, config.export]
            : ['--input-type=module', '-e', nodeRunner, config.file, config.export];
        const child = spawn(config.runtime === 'python' ? 'python3' : process.execPath, args, {
          stdio: ['pipe', 'ignore', 'pipe'],
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? '/tmp',
            LANG: process.env.LANG ?? 'C.UTF-8',
            ...config.environment,
            AWS_REGION: deps.region,
            AWS_DEFAULT_REGION: deps.region,
            SECRETS_MANAGER_ENDPOINT: deps.endpointUrl,
            AWS_ENDPOINT_URL: deps.endpointUrl,
            AWS_ENDPOINT_URL_SECRETS_MANAGER: deps.endpointUrl,
            AWS_ACCESS_KEY_ID: context.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: context.credentials.secretAccessKey,
            AWS_SESSION_TOKEN: context.credentials.sessionToken,
            AWS_LAMBDA_FUNCTION_NAME: deps.functionName,
            ROTOR_INVOCATION_ID: `${event.ClientRequestToken}:${event.Step}`,
            ROTOR_STEP_TIMEOUT_MS: String(context.timeoutMs),
            // The SDKs must not pick up a profile or IMDS instead of the rotation's keys.
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
          },
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-16_384);
        });
        const abort = () => child.kill('SIGKILL');
        context.signal.addEventListener('abort', abort, { once: true });
        child.once('error', (error) => {
          context.signal.removeEventListener('abort', abort);
          reject(new RotationStepError(`The handler could not be started: ${error.message}`, { retryable: false }));
        });
        child.once('close', (code, signal) => {
          context.signal.removeEventListener('abort', abort);
          if (code === 0) resolve();
          else reject(new RotationStepError(`${event.Step} failed: ${describeFailure(stderr, code, signal)}`));
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(JSON.stringify(event));
      });
    },
  };
}
