import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `rotor serve`: starts the server and prints the exact AWS CLI line that works against it. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the Rotor server (creates the data directory on first start)')
    .option('--host <host>', 'address to listen on (ROTOR_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free port (ROTOR_PORT, default 7400)')
    .option('--data-dir <dir>', 'data directory (ROTOR_DATA_DIR, default ./.rotor)')
    .option('--region <region>', 'AWS region this server answers as (ROTOR_REGION, default us-east-1)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (ROTOR_LOG_LEVEL, default info)')
    .option('--database <url>', 'postgres:// URL to share one database between replicas (ROTOR_DATABASE_URL)')
    .option('--config <file>', 'JSON config file (ROTOR_CONFIG, default <data-dir>/rotor.json if present)')
    .action(async (options: Record<string, string | undefined>) => {
      const config = loadConfig({
        configFile: options.config,
        flags: {
          host: options.host,
          port: options.port,
          dataDir: options.dataDir,
          region: options.region,
          logLevel: options.logLevel,
          database: options.database,
        },
      });
      // Loaded here, not at the top: client commands should not pay for the server's modules.
      const [{ createPinoLogger }, { startRotor }] = await Promise.all([
        import('../adapters/logging/pino-logger.js'),
        import('../main.js'),
      ]);
      const logger = createPinoLogger(config.logLevel);
      const rotor = await startRotor(config, { logger });
      const { dataDir } = rotor;
      const env = `AWS_SHARED_CREDENTIALS_FILE=${shellQuote(dataDir.credentialsPath)} AWS_CONFIG_FILE=${shellQuote(dataDir.awsConfigPath)}`;
      const aws = `${env} aws --profile rotor --endpoint-url ${rotor.url} secretsmanager`;
      const lines = [
        `Rotor listening on ${rotor.url}`,
        dataDir.backend === 'sqlite'
          ? `  data directory  ${dataDir.path} (SQLite, WAL, synchronous=FULL)`
          : `  data directory  ${dataDir.path} (root key, credentials); secrets in PostgreSQL`,
        `  region/account  ${dataDir.installation.region} / ${dataDir.installation.accountId}`,
        `  root key        ${dataDir.rootKey.origin === 'environment' ? 'from ROTOR_ROOT_KEY' : `${dataDir.rootKey.path} (mode 0600)${dataDir.rootKey.origin === 'created' ? ', created now' : ''}`}`,
        dataDir.createdAdminKey
          ? `  admin key       ${dataDir.createdAdminKey.accessKeyId}, written to ${dataDir.credentialsPath} (profile rotor)`
          : `  credentials     ${dataDir.credentialsPath} (profile rotor)`,
        '',
        'Try it:',
        `  ${aws} create-secret --name demo/db-password --secret-string 'hunter2'`,
        `  ${aws} get-secret-value --secret-id demo/db-password`,
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      logger.info({ url: rotor.url, dataDir: dataDir.path }, 'rotor started');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        rotor.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ cause: error instanceof Error ? error.message : typeof error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
