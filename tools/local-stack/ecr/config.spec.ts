import * as path from 'node:path';
import { DEFAULT_STATE_DIR, parseOtherAccounts, readConfig } from './config';

describe('readConfig', () => {
  it('gives the local stack its usual ports, accounts and files when nothing is set', () => {
    const config = readConfig({}, 1_700_000_000_000, () => 'random');
    expect(DEFAULT_STATE_DIR).toBe(path.resolve(__dirname, '..', '.state'));
    expect(config).toEqual({
      stateDir: DEFAULT_STATE_DIR,
      bind: '127.0.0.1',
      apiPort: 5003,
      stsPort: 5006,
      historyFile: path.join(DEFAULT_STATE_DIR, 'ecr-history.jsonl'),
      defaultRegion: 'eu-west-1',
      password: 'random',
      roleMaxSessionSeconds: 3600,
      startedAt: 1_700_000_000,
      caller: {
        id: '000000000000',
        proxyPort: 5002,
        backend: 'http://127.0.0.1:5012',
        storage: path.join(DEFAULT_STATE_DIR, 'ecr-data'),
        metaFile: path.join(DEFAULT_STATE_DIR, 'ecr-meta.json'),
      },
      others: [
        {
          id: '111111111111',
          proxyPort: 5007,
          backend: 'http://127.0.0.1:5013',
          storage: path.join(DEFAULT_STATE_DIR, 'ecr-data-111111111111'),
          metaFile: path.join(DEFAULT_STATE_DIR, 'ecr-meta-111111111111.json'),
        },
      ],
    });
  });

  it('takes every setting from the environment', () => {
    const config = readConfig(
      {
        LOCAL_STACK_STATE: '/state',
        LOCAL_STACK_BIND: '0.0.0.0',
        ECR_STAND_IN_API_PORT: '5103',
        ECR_STAND_IN_STS_PORT: '5106',
        ECR_STAND_IN_PROXY_PORT: '5102',
        ECR_STAND_IN_HISTORY: '/h.jsonl',
        ECR_STAND_IN_ACCOUNT: '123456789012',
        ECR_STAND_IN_BACKEND: 'http://127.0.0.1:5112',
        ECR_STAND_IN_STORAGE: '/data',
        ECR_STAND_IN_META: '/meta.json',
        ECR_STAND_IN_PASSWORD: 'fixed',
        ECR_STAND_IN_OTHER_ACCOUNTS: '',
        AWS_DEFAULT_REGION: 'us-east-2',
        STS_STAND_IN_ROLE_MAX_SESSION_SECONDS: '7200',
      },
      0,
      () => 'unused',
    );
    expect(config).toMatchObject({
      stateDir: '/state',
      bind: '0.0.0.0',
      apiPort: 5103,
      stsPort: 5106,
      historyFile: '/h.jsonl',
      defaultRegion: 'us-east-2',
      password: 'fixed',
      roleMaxSessionSeconds: 7200,
      caller: { id: '123456789012', proxyPort: 5102, backend: 'http://127.0.0.1:5112', storage: '/data', metaFile: '/meta.json' },
      others: [],
    });
  });

  it('prefers AWS_REGION to AWS_DEFAULT_REGION', () => {
    expect(readConfig({ AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'us-east-2' }).defaultRegion).toBe('eu-central-1');
  });

  it('makes a random password when ECR_STAND_IN_PASSWORD is unset or empty, a new one each start', () => {
    expect(readConfig({ ECR_STAND_IN_PASSWORD: '' }, 0, () => 'made').password).toBe('made');
    const a = readConfig({}).password;
    const b = readConfig({}).password;
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a).not.toBe(b);
  });

  it('is read-only, down to the accounts', () => {
    const config = readConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.caller)).toBe(true);
    expect(Object.isFrozen(config.others)).toBe(true);
    expect(Object.isFrozen(config.others[0])).toBe(true);
  });
});

describe('parseOtherAccounts', () => {
  it('reads <account>=<proxy port>:<backing port>, comma-separated, spaces and empty entries ignored', () => {
    expect(parseOtherAccounts(' 111111111111=5007:5013, ,222222222222=5008:5014,', '/s')).toEqual([
      {
        id: '111111111111',
        proxyPort: 5007,
        backend: 'http://127.0.0.1:5013',
        storage: '/s/ecr-data-111111111111',
        metaFile: '/s/ecr-meta-111111111111.json',
      },
      {
        id: '222222222222',
        proxyPort: 5008,
        backend: 'http://127.0.0.1:5014',
        storage: '/s/ecr-data-222222222222',
        metaFile: '/s/ecr-meta-222222222222.json',
      },
    ]);
  });

  it.each(['11111111111=5007:5013', '111111111111=5007', '111111111111:5007:5013', 'x=1:2'])('refuses %s, naming it', (entry) => {
    expect(() => parseOtherAccounts(entry, '/s')).toThrow(
      `ECR_STAND_IN_OTHER_ACCOUNTS: "${entry}" is not <12-digit account>=<proxy port>:<backing port>`,
    );
  });
});
