import type { Logger } from '../../ports/logger.js';
import type { ResolvedFunction, RotationFence } from '../../ports/rotation-function.js';
import type { RotationSecretsApi, Rotator } from '../../ports/rotator.js';
import { createBuiltinInvoker } from './builtin-invoker.js';
import { createProcessInvoker, type HandlerConfig } from './process-invoker.js';
import { createUrlInvoker, type UrlFunctionConfig } from './url-invoker.js';

/** What the registry stores for each kind (services/rotation-functions.ts writes it). */
export type StoredDefinition =
  | { readonly kind: 'builtin'; readonly builtin: string; readonly config: unknown }
  | ({ readonly kind: 'handler' } & HandlerConfig)
  | ({ readonly kind: 'url' } & UrlFunctionConfig);

/**
 * Turns a registered function into something the worker can invoke: built-ins run in
 * process, handlers as local processes, URL functions over HTTP.
 */
export function createFunctionResolver(deps: {
  definition: (arn: string) => Promise<{ name: string; definition: StoredDefinition } | undefined>;
  builtins: ReadonlyMap<string, Rotator<never>>;
  secretsFor: (rotationToken: string, fence: RotationFence | undefined) => RotationSecretsApi;
  region: string;
  endpointUrl: () => string;
  logger: Logger;
}): (arn: string) => Promise<ResolvedFunction | undefined> {
  return async (arn) => {
    const found = await deps.definition(arn);
    if (!found) return undefined;
    const { name, definition } = found;
    switch (definition.kind) {
      case 'builtin': {
        const rotator = deps.builtins.get(definition.builtin);
        if (!rotator) return undefined;
        return {
          invoker: createBuiltinInvoker({ rotator, config: definition.config as never, secretsFor: deps.secretsFor, logger: deps.logger }),
          needsCredentials: false,
        };
      }
      case 'handler':
        return {
          invoker: createProcessInvoker({ config: definition, functionName: name, region: deps.region, endpointUrl: deps.endpointUrl() }),
          needsCredentials: true,
        };
      case 'url':
        return { invoker: createUrlInvoker({ config: definition, endpointUrl: deps.endpointUrl() }), needsCredentials: true };
    }
  };
}
