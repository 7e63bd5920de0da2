import { AppError } from '../domain/errors.js';
import { assertWellFormedPolicy, grantsPublicAccess, policySyntaxErrors, type PolicyValidationError } from '../domain/resource-policy.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';

/**
 * The four resource-policy operations share one file because they are one small
 * use case: keep a validated policy document beside the secret.
 */
export interface PutResourcePolicyInput {
  readonly SecretId: string;
  readonly ResourcePolicy: string;
  readonly BlockPublicPolicy?: boolean | undefined;
}

export interface ValidateResourcePolicyOutput {
  PolicyValidationPassed: boolean;
  ValidationErrors: PolicyValidationError[];
}

type Deps = Pick<SecretServiceDeps, 'store' | 'clock' | 'installation'>;

export function createResourcePolicyService(deps: Deps) {
  const { store, clock, installation } = deps;
  return {
    async putResourcePolicy(input: PutResourcePolicyInput, context: RequestContext) {
      assertWellFormedPolicy(input.ResourcePolicy);
      if (input.BlockPublicPolicy === true && grantsPublicAccess(input.ResourcePolicy)) {
        throw new AppError('PUBLIC_POLICY', 'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.');
      }
      return store.transaction(async (tx) => {
        const now = clock.now();
        const secret = await requireSecret(tx, installation, input.SecretId, now);
        assertNotScheduledForDeletion(secret);
        await tx.updateSecret(secret.arn, { resourcePolicy: input.ResourcePolicy, lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
        await tx.appendAudit({ at: now, actor: context.actor, operation: 'PutResourcePolicy', secretArn: secret.arn });
        return { ARN: secret.arn, Name: secret.name };
      });
    },

    async getResourcePolicy(input: { readonly SecretId: string }) {
      const secret = await requireSecret(store, installation, input.SecretId, clock.now());
      const output: { ARN: string; Name: string; ResourcePolicy?: string } = { ARN: secret.arn, Name: secret.name };
      if (secret.resourcePolicy !== undefined) output.ResourcePolicy = secret.resourcePolicy;
      return output;
    },

    async deleteResourcePolicy(input: { readonly SecretId: string }, context: RequestContext) {
      return store.transaction(async (tx) => {
        const now = clock.now();
        const secret = await requireSecret(tx, installation, input.SecretId, now);
        assertNotScheduledForDeletion(secret);
        if (secret.resourcePolicy !== undefined) {
          await tx.updateSecret(secret.arn, { resourcePolicy: undefined, lastChangedAt: Math.max(now, secret.lastChangedAt + 1) });
          await tx.appendAudit({ at: now, actor: context.actor, operation: 'DeleteResourcePolicy', secretArn: secret.arn });
        }
        return { ARN: secret.arn, Name: secret.name };
      });
    },

    async validateResourcePolicy(input: { readonly SecretId?: string | undefined; readonly ResourcePolicy: string }): Promise<ValidateResourcePolicyOutput> {
      if (input.SecretId !== undefined) await requireSecret(store, installation, input.SecretId, clock.now());
      const errors = policySyntaxErrors(input.ResourcePolicy);
      if (errors.length === 0 && grantsPublicAccess(input.ResourcePolicy)) {
        errors.push({ CheckName: 'PUBLIC_ACCESS_CHECK', ErrorMessage: 'The resource policy grants access to every principal.' });
      }
      return { PolicyValidationPassed: errors.length === 0, ValidationErrors: errors };
    },
  };
}
