/**
 * A local stand-in for AWS ECR and STS, so the product can publish images on a machine that cannot reach AWS.
 * Started by up.sh (`node -r @swc-node/register tools/local-stack/ecr-stand-in.ts`); the pieces are in ecr/.
 *
 * - API port (default 127.0.0.1:5003): the AWS JSON 1.1 protocol exactly as @aws-sdk/client-ecr and the
 *   AWS CLI send it; ECR only (ecr/api.ts, ecr/operations.ts).
 * - STS port (default 127.0.0.1:5006): GetCallerIdentity and AssumeRole (sts.ts); temporary credentials
 *   expire like real ones, and ECR API calls signed with expired ones are refused (aws-credentials.ts).
 * - One registry port per account (defaults: the caller's account 000000000000 on 127.0.0.1:5002, another
 *   account 111111111111 on 127.0.0.1:5007): an authenticating proxy in front of that account's own plain
 *   distribution registry (127.0.0.1:5012, 127.0.0.1:5013), as ecr/proxy.ts says.
 *
 * Repository settings live in a small JSON file (ecr/meta-store.ts); what is in a repository is always read
 * from the backing registry (ecr/images.ts), so the two cannot drift apart. The backing registry's storage
 * directory is read only to find untagged manifests and to remove single tags (ecr/registry-storage.ts).
 * Every tag assignment is recorded (GET /__history on the API port, ecr/tag-history.ts). Every port takes
 * fault rules and counts requests (faults.ts).
 */
import { readConfig } from './ecr/config';
import { stdoutLog } from './ecr/log';
import { start } from './ecr/stand-in';

function main(): void {
  const standIn = start(readConfig(process.env), stdoutLog);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stdoutLog(`${signal}: stopping`);
      void standIn.stop().then(() => process.exit(0));
    });
  }
}

if (require.main === module) main();
