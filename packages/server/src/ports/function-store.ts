/**
 * Registered rotation functions. A function is addressed by a Lambda-style ARN
 * (`arn:aws:lambda:<region>:<account>:function:<name>`) so RotateSecret's
 * RotationLambdaARN names it unchanged. Its configuration is sealed under the root key:
 * it may hold an HMAC key or a master secret's ARN.
 *
 * @example
 * await functions.insertFunction({ name: 'random-password', arn, kind: 'builtin', sealedConfig, createdAt: Date.now() });
 */
export type FunctionKind = 'builtin' | 'handler' | 'url';

export interface StoredFunction {
  readonly name: string;
  readonly arn: string;
  readonly kind: FunctionKind;
  readonly sealedConfig: Buffer;
  readonly createdAt: number;
}

export interface FunctionStore {
  insertFunction(fn: StoredFunction): Promise<void>;
  findFunctionByArn(arn: string): Promise<StoredFunction | undefined>;
  findFunctionByName(name: string): Promise<StoredFunction | undefined>;
  listFunctions(): Promise<StoredFunction[]>;
  /** Returns false when no such function exists. */
  deleteFunction(name: string): Promise<boolean>;
}
