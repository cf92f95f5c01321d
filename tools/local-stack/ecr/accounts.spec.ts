import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Account, accountOf, createAccount } from './accounts';
import { AwsError } from './aws-errors';

const agent = new http.Agent();
afterAll(() => agent.destroy());

function account(id: string, proxyPort: number): Account {
  const dir = path.join(os.tmpdir(), `accounts-spec-${id}`);
  return createAccount({ id, proxyPort, backend: 'http://127.0.0.1:5012', storage: dir, metaFile: path.join(dir, 'meta.json') }, agent, 0);
}

describe('createAccount', () => {
  it('names its registry host by localhost and its proxy port, and reaches its own backing registry and storage', () => {
    const acct = account('000000000000', 5102);
    expect(acct.registryHost).toBe('localhost:5102');
    expect(acct.registry.url.href).toBe('http://127.0.0.1:5012/');
    expect(acct.registry.agent).toBe(agent);
    expect(acct.storage.root).toBe(path.join(os.tmpdir(), 'accounts-spec-000000000000'));
  });
});

describe('accountOf', () => {
  const caller = account('000000000000', 5002);
  const other = account('111111111111', 5007);
  const accounts = [caller, other];
  const ctx = { region: 'us-east-2', operation: 'DescribeImages', callerArn: 'arn:aws:sts::000000000000:assumed-role/r/s' };

  it("is the caller's own account without registryId, and the named one with it", () => {
    expect(accountOf(accounts, caller, {}, ctx)).toBe(caller);
    expect(accountOf(accounts, caller, { registryId: '111111111111' }, ctx)).toBe(other);
    expect(accountOf(accounts, caller, { registryId: '000000000000' }, ctx)).toBe(caller);
  });

  it('refuses a registryId that is not 12 digits', () => {
    expect(() => accountOf(accounts, caller, { registryId: '1234' }, ctx)).toThrow(
      "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
    );
  });

  it('answers an account the stack does not hold as AWS does: access denied, on the repository named or *', () => {
    const denied = (input: Record<string, unknown>): AwsError => {
      try {
        accountOf(accounts, caller, input, ctx);
      } catch (err) {
        return err as AwsError;
      }
      throw new Error('not denied');
    };
    expect(denied({ registryId: '222222222222', repositoryName: 'app' })).toMatchObject({
      type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::000000000000:assumed-role/r/s is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-2:222222222222:repository/app because no resource-based policy allows the ecr:DescribeImages action',
    });
    expect(denied({ registryId: '222222222222' }).message).toContain(':222222222222:repository/* because');
  });
});
