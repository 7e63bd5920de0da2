import { AppError } from './errors.js';

/**
 * Resource policies are stored and returned as given; Rotor does not enforce them yet
 * (any valid access key may do everything until the policy issue lands). What it does
 * now is what AWS's edge does: refuse documents that are not IAM policy JSON, and refuse
 * policies that grant access to everyone when BlockPublicPolicy is set.
 */
export const maxPolicyLength = 20_480;

export interface PolicyValidationError {
  readonly CheckName: string;
  readonly ErrorMessage: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const validEffects = new Set(['Allow', 'Deny']);
const statementKeys = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringOrStrings(value: Json | undefined): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'));
}

/** Syntax and structure problems of a policy document, empty when it is well formed. */
export function policySyntaxErrors(document: string): PolicyValidationError[] {
  let parsed: Json;
  try {
    parsed = JSON.parse(document) as Json;
  } catch {
    return [{ CheckName: 'SYNTAX_CHECK', ErrorMessage: 'The policy document is not valid JSON.' }];
  }
  const errors: PolicyValidationError[] = [];
  const fail = (message: string) => errors.push({ CheckName: 'SYNTAX_CHECK', ErrorMessage: message });
  if (!isObject(parsed)) {
    fail('The policy document must be a JSON object.');
    return errors;
  }
  if (parsed.Version !== undefined && parsed.Version !== '2012-10-17' && parsed.Version !== '2008-10-17') {
    fail('The policy Version must be 2012-10-17 or 2008-10-17.');
  }
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : isObject(parsed.Statement) ? [parsed.Statement] : undefined;
  if (!statements || statements.length === 0) {
    fail('The policy document must contain a Statement.');
    return errors;
  }
  statements.forEach((statement, index) => {
    const where = `Statement ${index + 1}`;
    if (!isObject(statement)) return fail(`${where} must be a JSON object.`);
    for (const key of Object.keys(statement)) if (!statementKeys.has(key)) fail(`${where} has an unknown element ${key}.`);
    if (typeof statement.Effect !== 'string' || !validEffects.has(statement.Effect)) fail(`${where} must have Effect Allow or Deny.`);
    if (!isStringOrStrings(statement.Action) && !isStringOrStrings(statement.NotAction)) fail(`${where} must have an Action.`);
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) fail(`${where} must have a Principal.`);
  });
  return errors;
}

/** True when an Allow statement names every principal ("*" or {"AWS": "*"}) without conditions. */
export function grantsPublicAccess(document: string): boolean {
  const parsed = JSON.parse(document) as { Statement?: Json };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return statements.some((statement) => {
    if (!isObject(statement) || statement.Effect !== 'Allow' || statement.Condition !== undefined) return false;
    const principal = statement.Principal;
    if (principal === '*') return true;
    if (!isObject(principal)) return false;
    const aws = principal.AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  });
}

export function assertWellFormedPolicy(document: string): void {
  const errors = policySyntaxErrors(document);
  if (errors.length > 0) {
    throw new AppError('MALFORMED_POLICY_DOCUMENT', `This resource policy contains an unsupported syntax: ${errors[0]!.ErrorMessage}`);
  }
}
