import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionWithCli, until } from '../support/rotation-probes.js';
import { startTestRotor, tempDir, type TestRotor } from '../support/rotor-server.js';

/**
 * AWS's SecretsManagerRotationTemplate (lambda_function.py) as published, with two
 * additions for the test: each invocation appends `step token access-key-id` to
 * $CAPTURE_DIR/invocations.log (plus SHA-256 digests of the secret key and session token,
 * never the values), and with FAIL_SET_SECRET set, setSecret fails the way a database
 * login does, quoting the pending password and the rotation's credentials in its message.
 * set_secret and test_secret are the template's placeholders made harmless: set_secret
 * does nothing, test_secret reads the pending value back.
 */
const handlerSource = String.raw`
import boto3
import hashlib
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class DatabaseLoginError(ConnectionRefusedError):
    pass


def lambda_handler(event, context):
    """Secrets Manager Rotation Template

    This is a template for creating an AWS Secrets Manager rotation lambda

    Args:
        event (dict): Lambda dictionary of event parameters. These keys must include the following:
            - SecretId: The secret ARN or identifier
            - ClientRequestToken: The ClientRequestToken of the secret version
            - Step: The rotation step (one of createSecret, setSecret, testSecret, or finishSecret)

        context (LambdaContext): The Lambda runtime information

    Raises:
        ResourceNotFoundException: If the secret with the specified arn and stage does not exist

        ValueError: If the secret is not properly configured for rotation

        KeyError: If the event parameters do not contain the expected keys

    """
    arn = event['SecretId']
    token = event['ClientRequestToken']
    step = event['Step']
    capture(step, token)

    # Setup the client
    service_client = boto3.client('secretsmanager', endpoint_url=os.environ['SECRETS_MANAGER_ENDPOINT'])

    # Make sure the version is staged correctly
    metadata = service_client.describe_secret(SecretId=arn)
    if not metadata['RotationEnabled']:
        logger.error("Secret %s is not enabled for rotation" % arn)
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata['VersionIdsToStages']
    if token not in versions:
        logger.error("Secret version %s has no stage for rotation of secret %s." % (token, arn))
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s." % (token, arn))
        return
    elif "AWSPENDING" not in versions[token]:
        logger.error("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))

    if step == "createSecret":
        create_secret(service_client, arn, token)

    elif step == "setSecret":
        set_secret(service_client, arn, token)

    elif step == "testSecret":
        test_secret(service_client, arn, token)

    elif step == "finishSecret":
        finish_secret(service_client, arn, token)

    else:
        raise ValueError("Invalid step parameter")


def create_secret(service_client, arn, token):
    """Create the secret

    This method first checks for the existence of a secret for the passed in token. If one does not exist, it will generate a
    new secret and put it with the passed in token.
    """
    # Make sure the current secret exists
    service_client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")

    # Now try to get the secret version, if that fails, put a new secret
    try:
        service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        logger.info("createSecret: Successfully retrieved secret for %s." % arn)
    except service_client.exceptions.ResourceNotFoundException:
        # Get exclude characters from environment variable
        exclude_characters = os.environ['EXCLUDE_CHARACTERS'] if 'EXCLUDE_CHARACTERS' in os.environ else '/@"\'\\'
        # Generate a random password
        passwd = service_client.get_random_password(ExcludeCharacters=exclude_characters)

        # Put the secret
        service_client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=passwd['RandomPassword'], VersionStages=['AWSPENDING'])
        logger.info("createSecret: Successfully put secret for ARN %s and version %s." % (arn, token))


def set_secret(service_client, arn, token):
    """Set the secret

    This method should set the AWSPENDING secret in the service that the secret belongs to. For example, if the secret is a database
    credential, this method should take the value of the AWSPENDING secret and set the user's password to this value in the database.
    """
    if os.environ.get('FAIL_SET_SECRET'):
        pending = service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")['SecretString']
        raise DatabaseLoginError(
            "could not log in to db.internal:5432 as app with password=%s (signed with %s / %s)"
            % (pending, os.environ['AWS_SECRET_ACCESS_KEY'], os.environ['AWS_SESSION_TOKEN'])
        )


def test_secret(service_client, arn, token):
    """Test the secret

    This method should validate that the AWSPENDING secret works in the service that the secret belongs to. For example, if the secret
    is a database credential, this method should validate that the user can login with the password in AWSPENDING and that the user has
    all of the expected permissions against the database.
    """
    pending = service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    if len(pending['SecretString']) != 32:
        raise ValueError("testSecret: unexpected pending value length %d" % len(pending['SecretString']))


def finish_secret(service_client, arn, token):
    """Finish the secret

    This method finalizes the rotation process by marking the secret version passed in as the AWSCURRENT secret.
    """
    # First describe the secret to get the current version
    metadata = service_client.describe_secret(SecretId=arn)
    current_version = None
    for version in metadata["VersionIdsToStages"]:
        if "AWSCURRENT" in metadata["VersionIdsToStages"][version]:
            if version == token:
                # The correct version is already marked as current, return
                logger.info("finishSecret: Version %s already marked as AWSCURRENT for %s" % (version, arn))
                return
            current_version = version
            break

    # Finalize by staging the secret version current
    service_client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current_version)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s." % (token, arn))


def capture(step, token):
    digest = lambda name: hashlib.sha256(os.environ[name].encode()).hexdigest()
    with open(os.path.join(os.environ['CAPTURE_DIR'], 'invocations.log'), 'a') as log:
        log.write("%s %s %s %s %s\n" % (step, token, os.environ['AWS_ACCESS_KEY_ID'], digest('AWS_SECRET_ACCESS_KEY'), digest('AWS_SESSION_TOKEN')))
`;

/** Beyond the template's default: a custom set, so the function's --env visibly reaches get_random_password. */
const excludeCharacters = '/@"\'\\abcdefghijklm0123456';

interface Invocation {
  readonly step: string;
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretKeySha256: string;
  readonly sessionTokenSha256: string;
}

let rotor: TestRotor;
let captureDir: string;
let templateArn: string;
let failingSetArn: string;

function invocations(token: string): Invocation[] {
  const file = join(captureDir, 'invocations.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [step, lineToken, accessKeyId, secretKeySha256, sessionTokenSha256] = line.split(' ') as [string, string, string, string, string];
      return { step, token: lineToken, accessKeyId, secretKeySha256, sessionTokenSha256 };
    })
    .filter((invocation) => invocation.token === token);
}

/**
 * Whether Rotor still accepts `accessKeyId`, asked without knowing its secret: a request
 * signed with a wrong secret fails with InvalidSignatureException while the key is active,
 * and with UnrecognizedClientException once it is revoked or expired.
 */
async function keyStatusSeenBySigV4(accessKeyId: string, sessionToken?: string): Promise<string> {
  const probe = new SecretsManagerClient({
    endpoint: rotor.url,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey: 'not-the-secret-access-key', sessionToken },
  });
  try {
    await probe.send(new ListSecretsCommand({}));
    return 'accepted';
  } catch (error) {
    return (error as Error).name;
  } finally {
    probe.destroy();
  }
}

/** Substrings of `text` of length `size` whose SHA-256 is `digest` (the secret appears verbatim). */
function windowsHashingTo(text: string, size: number, digest: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + size <= text.length; i++) {
    const window = text.slice(i, i + size);
    if (createHash('sha256').update(window).digest('hex') === digest) found.push(window);
  }
  return found;
}

beforeAll(async () => {
  rotor = await startTestRotor();
  captureDir = tempDir('rotor-boto3-');
  const handlerFile = join(captureDir, 'lambda_function.py');
  writeFileSync(handlerFile, handlerSource);
  // Registered through the CLI, as a user would, while the server runs on the directory.
  templateArn = await createFunctionWithCli(rotor.dataDir, 'boto3-template', [
    '--handler',
    `${handlerFile}:lambda_handler`,
    '--env',
    `EXCLUDE_CHARACTERS=${excludeCharacters}`,
    '--env',
    `CAPTURE_DIR=${captureDir}`,
  ]);
  failingSetArn = await createFunctionWithCli(rotor.dataDir, 'boto3-failing-set', [
    '--handler',
    `${handlerFile}:lambda_handler`,
    '--env',
    `CAPTURE_DIR=${captureDir}`,
    '--env',
    'FAIL_SET_SECRET=1',
  ]);
});
afterAll(async () => rotor?.close());

describe('An unmodified AWS-style boto3 rotation handler', () => {
  it('rotates a secret through Rotor: new value AWSCURRENT, old AWSPREVIOUS, and its short-lived key is revoked afterwards', async () => {
    const name = `boto3/${randomUUID()}`;
    const created = await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'initial-value' }));
    const rotated = await rotor.client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: templateArn, RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    const token = rotated.VersionId!;

    // Done when the engine recorded success (finishSecret moved AWSCURRENT, then Rotor dropped AWSPENDING).
    const [rotation] = await until(
      () => rotor.rotor.dataDir.store.listRotations(created.ARN!, 5),
      (rows) => rows[0]?.state === 'succeeded' || rows[0]?.state === 'failed',
      { timeoutMs: 60_000, intervalMs: 200, describe: (rows) => JSON.stringify(rows[0] ?? null) },
    );
    expect(rotation).toMatchObject({ versionId: token, state: 'succeeded', attempt: 1 });
    const described = await rotor.client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeInstanceOf(Date);

    const value = (await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!;
    expect(value).toHaveLength(32);
    expect(value).not.toBe('initial-value');
    expect([...value].filter((c) => excludeCharacters.includes(c))).toEqual([]);
    const previous = await rotor.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }));
    expect(previous.SecretString).toBe('initial-value');

    // The handler ran the four steps in order, once each, under one short-lived (ASIA…) key.
    const calls = invocations(token);
    expect(calls.map((call) => call.step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    const keyIds = new Set(calls.map((call) => call.accessKeyId));
    expect(keyIds.size).toBe(1);
    const [keyId] = [...keyIds] as [string];
    expect(keyId).toMatch(/^ASIA[A-Z2-7]{16}$/);

    // The probe tells an active key from a dead one: the admin key with a wrong secret is
    // refused for its signature; the rotation's key is not recognised at all any more.
    expect(await keyStatusSeenBySigV4(rotor.credentials.accessKeyId)).toBe('InvalidSignatureException');
    await until(() => keyStatusSeenBySigV4(keyId), (status) => status === 'UnrecognizedClientException', { timeoutMs: 5_000 });
    const listed = (await rotor.rotor.dataDir.accessKeys.list()).find((key) => key.accessKeyId === keyId);
    expect(listed?.status).toBe('revoked');
    expect(await rotor.rotor.dataDir.accessKeys.activeSecret(keyId)).toBeUndefined();
  });

  it('a handler that raises in setSecret fails the step, which is retried; AWSPENDING stays and the reason names the exception without secret material', async () => {
    const name = `boto3/${randomUUID()}`;
    const created = await rotor.client.send(new CreateSecretCommand({ Name: name, SecretString: 'initial-value' }));
    const rotated = await rotor.client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: failingSetArn }));
    const token = rotated.VersionId!;
    const arn = created.ARN!;

    // Two failed setSecret runs: the first attempt and its retry (backoff 1 s, then 2 s).
    const [rotation] = await until(
      () => rotor.rotor.dataDir.store.listRotations(arn, 5),
      (rows) => (rows[0]?.attempt ?? 0) >= 3 && invocations(token).filter((call) => call.step === 'setSecret').length >= 2,
      { timeoutMs: 45_000, intervalMs: 200, describe: (rows) => JSON.stringify(rows[0] ?? null) },
    );
    expect(rotation).toMatchObject({ versionId: token, step: 'setSecret' });
    expect(['running', 'retrying']).toContain(rotation!.state);
    const calls = invocations(token);
    // createSecret ran once; retries resume at the failed step and never reach testSecret.
    expect(calls.filter((call) => call.step === 'createSecret')).toHaveLength(1);
    expect(calls.some((call) => call.step === 'testSecret' || call.step === 'finishSecret')).toBe(false);

    const described = await rotor.client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
    expect((await rotor.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('initial-value');
    await expect(rotor.client.send(new RotateSecretCommand({ SecretId: name }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
    });

    // The reason: the exception type is there; the pending password and the rotation's
    // secret key and session token (which the handler quoted) are not.
    const reason = rotation!.lastError!;
    expect(reason).toContain('DatabaseLoginError');
    expect(reason).toContain('db.internal:5432');
    const pending = (await rotor.client.send(new GetSecretValueCommand({ SecretId: name, VersionId: token, VersionStage: 'AWSPENDING' }))).SecretString!;
    expect(pending).toHaveLength(32);
    expect(reason).not.toContain(pending);
    for (const call of calls) {
      expect(windowsHashingTo(reason, 40, call.secretKeySha256)).toEqual([]);
      expect(windowsHashingTo(reason, 64, call.sessionTokenSha256)).toEqual([]);
    }
    const events = await rotor.rotor.dataDir.store.listRotationEvents(0, 10_000);
    const retrying = events.filter((event) => event.rotationId === rotation!.id && event.kind === 'retrying');
    expect(retrying.length).toBeGreaterThanOrEqual(2);
    for (const event of retrying) {
      expect(event.message).toContain('DatabaseLoginError');
      expect(event.message).not.toContain(pending);
    }

    // Each attempt ran under its own key, and a finished attempt's key is dead.
    const setSecretKeys = calls.filter((call) => call.step === 'setSecret').map((call) => call.accessKeyId);
    expect(new Set(setSecretKeys).size).toBe(setSecretKeys.length);
    expect(await keyStatusSeenBySigV4(setSecretKeys[0]!)).toBe('UnrecognizedClientException');
  });
});
