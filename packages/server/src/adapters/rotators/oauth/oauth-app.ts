import type { OAuthApp } from '../../../ports/oauth-app.js';
import { oauthSettingsOf, type OAuthRotatorConfig } from './oauth-rotator.js';

/** A registered function's OAuth app, from its built-in kind and (already validated) configuration. */
export function oauthAppOf(function_: { name: string; arn: string; builtin: string; config: unknown }): OAuthApp | undefined {
  if (function_.builtin !== 'slack' && function_.builtin !== 'oauth2') return undefined;
  const kind = function_.builtin;
  const settings = oauthSettingsOf(kind, function_.config as OAuthRotatorConfig);
  return {
    functionName: function_.name,
    functionArn: function_.arn,
    kind,
    secretNamePattern: settings.secretNamePattern,
    refreshFraction: settings.refreshFraction,
    masterSecretArn: settings.masterSecretArn,
    redirectUri: settings.redirectUri,
    authorizeUrl: (clientId, state, redirectUri) => settings.provider.authorizeUrl(clientId, state, redirectUri),
    async exchangeCode(client, code, redirectUri, options) {
      const answer = await settings.provider.install(client, code, redirectUri, options);
      if (answer.kind === 'installed') return answer;
      if (answer.kind === 'refused') return { kind: 'refused', error: answer.error };
      return { kind: 'refused', error: 'unexpected_answer' };
    },
  };
}
