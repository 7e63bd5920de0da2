import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { AppError } from '../domain/errors.js';
import type { FunctionKind, FunctionStore, StoredFunction } from '../ports/function-store.js';
import type { Clock } from '../ports/clock.js';
import type { ValueCipher } from '../ports/value-cipher.js';
import type { Installation } from './context.js';

/**
 * Registering rotation functions: `rotor functions create NAME` with `--builtin KIND`,
 * `--handler FILE:EXPORT` or `--url URL`. The configuration is validated here, sealed
 * under the root key and stored; the ARN is what RotateSecret's RotationLambdaARN names.
 */
export type FunctionDefinition =
  | { readonly kind: 'builtin'; readonly builtin: string; readonly config: unknown }
  | { readonly kind: 'handler'; readonly file: string; readonly export: string; readonly runtime: 'python' | 'node'; readonly environment: Record<string, string> }
  | { readonly kind: 'url'; readonly url: string; readonly signingKey: string };

export interface CreateFunctionInput {
  readonly name: string;
  readonly builtin?: string | undefined;
  readonly config?: unknown;
  /** `FILE:EXPORT`, e.g. `./rotate.py:lambda_handler`. */
  readonly handler?: string | undefined;
  readonly url?: string | undefined;
  readonly environment?: Record<string, string> | undefined;
}

export interface FunctionDescription {
  readonly Name: string;
  readonly FunctionArn: string;
  readonly Kind: FunctionKind;
  readonly Builtin?: string;
  readonly Config?: unknown;
  readonly Handler?: string;
  readonly Runtime?: string;
  readonly Url?: string;
  readonly CreatedDate: Date;
}

const namePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** One line per problem ("passwordLength: expected number"), whatever validator the rotator uses. */
function describeConfigError(error: unknown): string {
  const issues = (error as { issues?: { path?: PropertyKey[]; message?: string }[] }).issues;
  if (Array.isArray(issues)) {
    return issues.map((issue) => `${(issue.path ?? []).map(String).join('.') || '(config)'}: ${issue.message ?? 'invalid'}`).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
const sealContext = (name: string) => `function:${name}`;

export function functionArn(installation: Installation, name: string): string {
  return `arn:aws:lambda:${installation.region}:${installation.accountId}:function:${name}`;
}

export function createRotationFunctions(deps: {
  functions: FunctionStore;
  cipher: ValueCipher;
  clock: Clock;
  installation: Installation;
  builtins: ReadonlyMap<string, { parseConfig(raw: unknown): unknown }>;
}) {
  const { functions, cipher, clock, installation, builtins } = deps;

  function definitionOf(input: CreateFunctionInput): FunctionDefinition {
    const given = [input.builtin, input.handler, input.url].filter((value) => value !== undefined);
    if (given.length !== 1) throw new AppError('INVALID_PARAMETER', 'Give exactly one of builtin, handler or url.');
    if (input.builtin !== undefined) {
      const rotator = builtins.get(input.builtin);
      if (!rotator) {
        throw new AppError('INVALID_PARAMETER', `Unknown built-in rotator ${input.builtin}; known: ${[...builtins.keys()].join(', ')}.`);
      }
      try {
        return { kind: 'builtin', builtin: input.builtin, config: rotator.parseConfig(input.config ?? {}) };
      } catch (error) {
        throw new AppError('INVALID_PARAMETER', `Invalid configuration for ${input.builtin}: ${describeConfigError(error)}`);
      }
    }
    if (input.handler !== undefined) {
      const separator = input.handler.lastIndexOf(':');
      const file = separator > 0 ? input.handler.slice(0, separator) : '';
      const name = separator > 0 ? input.handler.slice(separator + 1) : '';
      if (!file || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
        throw new AppError('INVALID_PARAMETER', 'A handler is FILE:EXPORT, for example ./rotate.py:lambda_handler.');
      }
      const path = isAbsolute(file) ? file : resolve(file);
      if (!existsSync(path)) throw new AppError('INVALID_PARAMETER', `The handler file ${path} does not exist.`);
      const extension = extname(path);
      const runtime = extension === '.py' ? 'python' : ['.js', '.mjs', '.cjs'].includes(extension) ? 'node' : undefined;
      if (!runtime) throw new AppError('INVALID_PARAMETER', 'A handler file must be Python (.py) or JavaScript (.js, .mjs, .cjs).');
      return { kind: 'handler', file: path, export: name, runtime, environment: input.environment ?? {} };
    }
    let url: URL;
    try {
      url = new URL(input.url!);
    } catch {
      throw new AppError('INVALID_PARAMETER', `${input.url} is not a URL.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('INVALID_PARAMETER', 'A function URL must be http or https.');
    return { kind: 'url', url: url.toString(), signingKey: randomBytes(32).toString('base64') };
  }

  function describe(fn: StoredFunction, definition: FunctionDefinition): FunctionDescription {
    const base = { Name: fn.name, FunctionArn: fn.arn, Kind: fn.kind, CreatedDate: new Date(fn.createdAt) };
    if (definition.kind === 'builtin') return { ...base, Builtin: definition.builtin, Config: definition.config };
    if (definition.kind === 'handler') return { ...base, Handler: `${definition.file}:${definition.export}`, Runtime: definition.runtime };
    return { ...base, Url: definition.url };
  }

  function open(fn: StoredFunction): FunctionDefinition {
    return JSON.parse(cipher.openWithRootKey(sealContext(fn.name), fn.sealedConfig).toString('utf8')) as FunctionDefinition;
  }

  return {
    /** Registers a function. For URL functions the signing key is returned once, here. */
    async create(input: CreateFunctionInput): Promise<FunctionDescription & { SigningKey?: string }> {
      if (!namePattern.test(input.name)) {
        throw new AppError('INVALID_PARAMETER', 'A function name is 1-64 letters, digits, hyphens or underscores.');
      }
      if (await functions.findFunctionByName(input.name)) {
        throw new AppError('RESOURCE_EXISTS', `A function named ${input.name} already exists.`);
      }
      const definition = definitionOf(input);
      const stored: StoredFunction = {
        name: input.name,
        arn: functionArn(installation, input.name),
        kind: definition.kind,
        sealedConfig: cipher.sealWithRootKey(sealContext(input.name), Buffer.from(JSON.stringify(definition))),
        createdAt: clock.now(),
      };
      await functions.insertFunction(stored);
      const description = describe(stored, definition);
      return definition.kind === 'url' ? { ...description, SigningKey: definition.signingKey } : description;
    },

    async list(): Promise<FunctionDescription[]> {
      return (await functions.listFunctions()).map((fn) => describe(fn, open(fn)));
    },

    async get(nameOrArn: string): Promise<FunctionDescription> {
      const fn = nameOrArn.startsWith('arn:') ? await functions.findFunctionByArn(nameOrArn) : await functions.findFunctionByName(nameOrArn);
      if (!fn) throw new AppError('RESOURCE_NOT_FOUND', `No function ${nameOrArn} exists.`);
      return describe(fn, open(fn));
    },

    async remove(name: string): Promise<void> {
      if (!(await functions.deleteFunction(name))) throw new AppError('RESOURCE_NOT_FOUND', `No function ${name} exists.`);
    },

    /** The stored definition, for the engine's function resolver. */
    async definition(arn: string): Promise<{ name: string; definition: FunctionDefinition } | undefined> {
      const fn = await functions.findFunctionByArn(arn);
      return fn && { name: fn.name, definition: open(fn) };
    },
  };
}

export type RotationFunctions = ReturnType<typeof createRotationFunctions>;
