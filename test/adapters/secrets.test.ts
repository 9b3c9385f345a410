/**
 * `${ssm:/path}` and `${secret:name}`: the resolver against mocked SSM and Secrets Manager clients
 * (GetParameter WithDecryption, GetSecretValue SecretString, per the API references), its cache, and
 * `resolveReferences` on raw monitors.yaml text followed by the real config loader.
 */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createSecretResolver,
  resolveReferences,
  SecretReferenceError,
  SecretResolutionError,
  type SecretResolver,
} from '../../shared/adapters/aws/secrets.ts';
import { ConfigError, parseConfig } from '../../shared/config/load.ts';

const ssmMock = mockClient(SSMClient);
const smMock = mockClient(SecretsManagerClient);
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
const clients = () => ({ ssm: new SSMClient({ region: 'us-east-1', credentials }), secrets: new SecretsManagerClient({ region: 'us-east-1', credentials }) });

beforeEach(() => {
  ssmMock.reset();
  smMock.reset();
});

const parameter = (Name: string, Value: string, Type: 'String' | 'SecureString' = 'SecureString') => ({ Parameter: { Name, Type, Value, Version: 1 } });
const notFound = () => new ParameterNotFound({ message: '', $metadata: { httpStatusCode: 400 } });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('createSecretResolver', () => {
  it('reads an SSM parameter with GetParameter, decrypted', async () => {
    ssmMock.on(GetParameterCommand).resolves(parameter('/pagerless/pd', 'R0UTINGKEY'));
    const resolver = createSecretResolver(clients());
    expect(await resolver.resolve('ssm', '/pagerless/pd')).toBe('R0UTINGKEY');
    expect(ssmMock.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: '/pagerless/pd', WithDecryption: true }]);
  });

  it('reads a secret with GetSecretValue and returns its SecretString', async () => {
    smMock.on(GetSecretValueCommand).resolves({ Name: 'pagerless/slack', SecretString: 'https://hooks.slack.com/services/T/B/x', VersionStages: ['AWSCURRENT'] });
    const resolver = createSecretResolver(clients());
    expect(await resolver.resolve('secret', 'pagerless/slack')).toBe('https://hooks.slack.com/services/T/B/x');
    expect(smMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: 'pagerless/slack' }]);
  });

  it('makes one GetParameter for two resolves of the same name, also when they run at once', async () => {
    ssmMock.on(GetParameterCommand).resolves(parameter('/a', 'one'));
    const resolver = createSecretResolver(clients());
    expect(await Promise.all([resolver.resolve('ssm', '/a'), resolver.resolve('ssm', '/a')])).toEqual(['one', 'one']);
    expect(await resolver.resolve('ssm', '/a')).toBe('one');
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(1);
  });

  it('keeps ssm and secret names apart in its cache', async () => {
    ssmMock.on(GetParameterCommand).resolves(parameter('x', 'from-ssm'));
    smMock.on(GetSecretValueCommand).resolves({ SecretString: 'from-secrets-manager' });
    const resolver = createSecretResolver(clients());
    expect([await resolver.resolve('ssm', 'x'), await resolver.resolve('secret', 'x')]).toEqual(['from-ssm', 'from-secrets-manager']);
  });

  it('reads again once the TTL has passed (on its clock)', async () => {
    ssmMock.on(GetParameterCommand).resolvesOnce(parameter('/a', 'old')).resolves(parameter('/a', 'new'));
    let now = 1_000_000;
    const resolver = createSecretResolver({ ...clients(), ttlMs: 60_000, clock: { now: () => now } });
    expect(await resolver.resolve('ssm', '/a')).toBe('old');
    now += 59_999;
    expect(await resolver.resolve('ssm', '/a')).toBe('old');
    now += 1;
    expect(await resolver.resolve('ssm', '/a')).toBe('new');
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('does not cache a failure', async () => {
    ssmMock.on(GetParameterCommand).rejectsOnce(new SSMServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }))
      .resolves(parameter('/a', 'value'));
    const resolver = createSecretResolver(clients());
    const err = await rejection(resolver.resolve('ssm', '/a'));
    expect(err).toMatchObject({ name: 'SecretResolutionError', code: 'UNAVAILABLE', retryable: true, message: '${ssm:/a}: could not be read (ThrottlingException: Rate exceeded)' });
    expect(await resolver.resolve('ssm', '/a')).toBe('value');
  });

  it('names the reference when a parameter or secret does not exist', async () => {
    ssmMock.on(GetParameterCommand).rejects(notFound());
    smMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } }));
    const resolver = createSecretResolver(clients());
    const ssmErr = await rejection(resolver.resolve('ssm', '/x'));
    expect(ssmErr).toBeInstanceOf(SecretResolutionError);
    expect(ssmErr).toMatchObject({ message: '${ssm:/x}: parameter not found', code: 'NOT_FOUND', retryable: false });
    expect(await rejection(resolver.resolve('secret', 'pagerless/gone'))).toMatchObject({ message: '${secret:pagerless/gone}: secret not found', code: 'NOT_FOUND' });
  });

  it('refuses a binary secret', async () => {
    smMock.on(GetSecretValueCommand).resolves({ Name: 'cert', SecretBinary: new Uint8Array([1, 2, 3]) });
    const err = await rejection(createSecretResolver(clients()).resolve('secret', 'cert'));
    expect(err).toMatchObject({ code: 'BINARY', retryable: false, message: '${secret:cert}: the secret is binary (SecretBinary); only text secrets (SecretString) can be referenced' });
  });

  it('says access denied and cannot be decrypted in words, keeping the AWS error', async () => {
    ssmMock.on(GetParameterCommand).rejects(new SSMServiceException({ name: 'AccessDeniedException', message: 'not authorized to perform: ssm:GetParameter', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    smMock.on(GetSecretValueCommand).rejects(new SecretsManagerServiceException({ name: 'DecryptionFailure', message: 'KMS key is disabled', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const resolver = createSecretResolver(clients());
    expect(await rejection(resolver.resolve('ssm', '/p'))).toMatchObject({ code: 'ACCESS_DENIED', retryable: false, message: '${ssm:/p}: access denied (AccessDeniedException: not authorized to perform: ssm:GetParameter)' });
    expect(await rejection(resolver.resolve('secret', 's'))).toMatchObject({ code: 'ACCESS_DENIED', message: '${secret:s}: cannot be decrypted (DecryptionFailure: KMS key is disabled)' });
  });
});

/** A resolver over a fixed table; records what it was asked. */
function tableResolver(values: Record<string, string>): SecretResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async resolve(kind, name) {
      asked.push(`${kind}:${name}`);
      const v = values[`${kind}:${name}`];
      if (v === undefined) throw new SecretResolutionError(`\${${kind}:${name}}: ${kind === 'ssm' ? 'parameter' : 'secret'} not found`, 'NOT_FOUND', false);
      return v;
    },
  };
}

const CONFIG = `version: 1
settings:
  statusToken: \${env:STATUS_TOKEN}
  home: us-east-1
channels:
  # old: { type: slack, url: "\${ssm:/retired}" }
  team: { type: slack, url: "\${secret:pagerless/slack}" }
  hook:
    type: webhook
    url: https://hooks.example.com/alerts
    secret: \${ssm:/pagerless/hook-secret}
    headers:
      Authorization: 'Bearer \${ssm:/pagerless/token}'
services:
  - name: shop
    alert: [team, hook]
    checks:
      - name: api
        http: { url: https://api.example.com/health }
`;

describe('resolveReferences', () => {
  it('replaces ssm and secret references, leaves ${env:} and comments to the loader, and the config parses', async () => {
    const resolver = tableResolver({
      'secret:pagerless/slack': 'https://hooks.slack.com/services/T0/B0/abc',
      'ssm:/pagerless/hook-secret': 'h00k',
      'ssm:/pagerless/token': 'tok',
    });
    const text = await resolveReferences(CONFIG, resolver);
    expect(text).not.toMatch(/\$\{(ssm|secret):(?!\/retired)/);
    expect(text).toContain('${env:STATUS_TOKEN}');
    expect(text).toContain('# old: { type: slack, url: "${ssm:/retired}" }');
    expect(resolver.asked.sort()).toEqual(['secret:pagerless/slack', 'ssm:/pagerless/hook-secret', 'ssm:/pagerless/token']);
    const cfg = parseConfig(text, 'monitors.yaml', { STATUS_TOKEN: 'st' }, { target: 'aws' });
    expect(cfg.channels.team!.spec).toEqual({ type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abc' });
    expect(cfg.channels.hook!.spec).toMatchObject({ secret: 'h00k', headers: { Authorization: 'Bearer tok' } });
    expect(cfg.settings.statusToken).toBe('st');
  });

  it('keeps a value with quotes, #, ": " and line breaks exactly, wherever the reference sits', async () => {
    const nasty = `p"a'ss: #1\nline2 \\ end\u007f`;
    const text = `version: 1
channels:
  a:
    type: webhook
    url: https://h.example.com/a
    secret: \${ssm:/v}   # a plain scalar
  b: { type: webhook, url: https://h.example.com/b, secret: "pre-\${ssm:/v}" }
  c: { type: webhook, url: https://h.example.com/c, secret: 'x \${ssm:/v}' }
  d:
    type: webhook
    url: https://h.example.com/d
    secret: |
      head
      \${ssm:/v}
services:
  - name: shop
    alert: [a, b, c, d]
    checks: [{ name: api, tcp: { host: db.example.com, port: 5432 } }]
`;
    const out = await resolveReferences(text, tableResolver({ 'ssm:/v': nasty }));
    const cfg = parseConfig(out, 'monitors.yaml', {}, { target: 'aws' });
    expect(cfg.channels.a!.spec.secret).toBe(nasty);
    expect(cfg.channels.b!.spec.secret).toBe(`pre-${nasty}`);
    expect(cfg.channels.c!.spec.secret).toBe(`x ${nasty}`);
    expect(cfg.channels.d!.spec.secret).toBe(`head\n${nasty}\n`);
    expect(out.split('\n')).toHaveLength(text.split('\n').length);
  });

  it('keeps line numbers: an error after a resolved block scalar points at its own line', async () => {
    const text = `version: 1
channels:
  d:
    type: webhook
    url: https://h.example.com/d
    secret: |
      \${ssm:/v}
      more
  e: { type: webhook, url: htp://bad }
services:
  - name: shop
    checks: [{ name: api, tcp: { host: db.example.com, port: 5432 } }]
`;
    const out = await resolveReferences(text, tableResolver({ 'ssm:/v': 'one\ntwo\nthree\nfour' }));
    const err = await rejection(Promise.resolve().then(() => parseConfig(out, 'monitors.yaml', {}, { target: 'aws' })));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => `${i.line}: ${i.path.join('.')}`)).toEqual(['9: channels.e.url']);
  });

  it('fails naming every reference that cannot be resolved, at its file, line and key path', async () => {
    const err = await rejection(resolveReferences(CONFIG, tableResolver({ 'ssm:/pagerless/token': 'tok' }), 'config/monitors.yaml'));
    expect(err).toBeInstanceOf(SecretReferenceError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as SecretReferenceError).retryable).toBe(false);
    expect(err.message.split('\n')).toEqual([
      'config/monitors.yaml:7:29: channels.team.url: ${secret:pagerless/slack}: secret not found',
      'config/monitors.yaml:11:13: channels.hook.secret: ${ssm:/pagerless/hook-secret}: parameter not found',
    ]);
  });

  it('says ${ssm:/x}: parameter not found through the real resolver', async () => {
    ssmMock.on(GetParameterCommand).rejects(notFound());
    const text = 'version: 1\nchannels:\n  pager: { type: webhook, url: "${ssm:/x}" }\n';
    const err = await rejection(resolveReferences(text, createSecretResolver(clients())));
    expect(err.message).toBe('monitors.yaml:3:32: channels.pager.url: ${ssm:/x}: parameter not found');
  });

  it('marks the failure retryable when AWS was only unavailable', async () => {
    ssmMock.on(GetParameterCommand).rejects(new SSMServiceException({ name: 'InternalServerError', message: 'boom', $fault: 'server', $metadata: { httpStatusCode: 500 } }));
    const err = await rejection(resolveReferences('a: ${ssm:/x}\n', createSecretResolver(clients())));
    expect(err).toMatchObject({ retryable: true, message: 'monitors.yaml:1:4: a: ${ssm:/x}: could not be read (InternalServerError: boom)' });
  });

  it('uses :-default when the parameter does not exist, but not for other failures', async () => {
    const out = await resolveReferences('a: ${ssm:/missing:-fallback}\nb: ${secret:s:-d}\n', tableResolver({ 'secret:s': 'real' }));
    expect(out).toBe('a: "fallback"\nb: "real"\n');
  });

  it('resolves each distinct reference once; text without references, or not YAML, is left for the loader', async () => {
    const resolver = tableResolver({ 'ssm:/v': 'v' });
    expect(await resolveReferences('a: ${ssm:/v}\nb: "${ssm:/v}-${ssm:/v}"\n', resolver)).toBe('a: "v"\nb: "v-v"\n');
    expect(await resolveReferences('a: ${env:X}\n', resolver)).toBe('a: ${env:X}\n');
    expect(await resolveReferences('a: [${ssm:/v}\n', resolver)).toBe('a: [${ssm:/v}\n');
    expect(resolver.asked).toEqual(['ssm:/v']);
  });

  it('rejects references the loader would not read, and values that hold a reference themselves', async () => {
    const bad = await rejection(resolveReferences('a: "${ssm:/x:3}"\nb: "${secret:}"\n', tableResolver({})));
    expect(bad.message.split('\n')).toEqual([
      'monitors.yaml:1:4: a: ${ssm:/x:3}: not a valid reference (write ${ssm:/path}, ${secret:name}, or either with :-default)',
      'monitors.yaml:2:4: b: ${secret:}: the reference names no secret',
    ]);
    const nested = await rejection(resolveReferences('a: ${ssm:/v}\n', tableResolver({ 'ssm:/v': 'x${env:HOME}' })));
    expect(nested.message).toBe('monitors.yaml:1:4: a: ${ssm:/v}: the value contains "${...}", which the config loader would read as another reference');
  });
});
