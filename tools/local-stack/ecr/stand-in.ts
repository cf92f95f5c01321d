/**
 * Starts the ECR stand-in from its settings: the ECR API port, the STS port and one registry proxy port per
 * account, each with its fault rules and request counts (faults.ts). Nothing starts until start() is called.
 */
import * as http from 'node:http';
import { CredentialStore } from '../aws-credentials';
import { Instrumentation, registryInstrumentation } from '../faults';
import { stsHandler } from '../sts';
import { type Account, createAccount } from './accounts';
import { apiHandler, operationOf } from './api';
import { AwsError } from './aws-errors';
import type { EcrConfig } from './config';
import type { Log } from './log';
import { ecrOperations } from './operations';
import { type Proxy, proxyHandler } from './proxy';
import { RegistryAuth } from './registry-auth';
import { loadFixture, Scanning } from './scanning';
import { TagHistory } from './tag-history';

export interface RunningStandIn {
  accounts: readonly Account[];
  /** Stops listening; resolves once every server closed, or after 2 s with a push still streaming. */
  stop(): Promise<void>;
}

function serve(
  bind: string,
  port: number,
  name: string,
  instrumentation: Instrumentation,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  log: Log,
): http.Server {
  const server = http.createServer((req, res) => {
    instrumentation
      .handle(req, res, () => handler(req, res))
      .catch((err: unknown) => {
        log(`${name}: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) {
          const status = err instanceof AwsError ? err.status : 500;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: (err as Error).message }));
        } else {
          res.destroy();
        }
      });
  });
  // Blob uploads can take long; the defaults would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  server.on('error', (err) => {
    log(`${name} cannot listen on ${bind}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, bind, () => log(`${name} listening on http://${bind}:${port}`));
  return server;
}

export function start(config: EcrConfig, log: Log): RunningStandIn {
  const backendAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const caller = createAccount(config.caller, backendAgent, config.startedAt);
  const accounts = [caller, ...config.others.map((other) => createAccount(other, backendAgent, config.startedAt))];
  const credentials = new CredentialStore();
  const auth = new RegistryAuth(config.password);
  const history = new TagHistory(config.historyFile);

  const apiInstrumentation = new Instrumentation({
    service: 'ecr-stand-in api',
    flavor: 'aws',
    // By ECR operation; stray requests count as "other".
    kindOf: (req) => operationOf(req) ?? 'other',
    operationOf,
    log,
  });
  const stsInstrumentation = new Instrumentation({ service: 'sts stand-in', flavor: 'plain', kindOf: () => 'sts', log });
  // The caller's registry keeps the service name the benchmark and tests read its statistics under.
  const proxies: Proxy[] = accounts.map((acct) => ({
    acct,
    instrumentation: registryInstrumentation(
      acct === caller ? 'ecr-stand-in registry proxy' : `ecr-stand-in registry proxy (${acct.id})`,
      log,
    ),
  }));

  const scanning = new Scanning(loadFixture(), log);
  const operations = ecrOperations({ caller, accounts, auth, history, startedAt: config.startedAt, log, scanning });
  const api = apiHandler({
    operations,
    credentials,
    history,
    caller,
    accounts,
    stsPort: config.stsPort,
    defaultRegion: config.defaultRegion,
    log,
  });
  const { bind } = config;
  const servers = [
    serve(
      bind,
      config.apiPort,
      'ECR API',
      apiInstrumentation,
      // The scanner's vulnerability list is a test's to extend (scanning.ts); everything else is the ECR API.
      (req, res) => ((req.url ?? '').split('?')[0] === '/__vulnerabilities' ? scanning.control(req, res) : api(req, res)),
      log,
    ),
    serve(
      bind,
      config.stsPort,
      'STS',
      stsInstrumentation,
      stsHandler({ account: caller.id, credentials, roleMaxSessionSeconds: config.roleMaxSessionSeconds, log }),
      log,
    ),
    ...proxies.map((proxy) =>
      serve(
        bind,
        proxy.acct.proxyPort,
        `registry proxy of account ${proxy.acct.id}`,
        proxy.instrumentation,
        proxyHandler(proxy, { auth, history, log, scanning }),
        log,
      ),
    ),
  ];
  for (const acct of accounts)
    log(
      `account ${acct.id}${acct === caller ? " (the caller's)" : ''}: registry ${acct.registryHost}, ` +
        `backing registry ${acct.registry.url.href}, storage ${acct.storage.root}`,
    );
  log(`history ${history.file}`);

  return {
    accounts,
    stop: () =>
      new Promise((resolve) => {
        // Delayed and hanging requests would otherwise keep the servers from closing.
        for (const instrumentation of [apiInstrumentation, stsInstrumentation, ...proxies.map((p) => p.instrumentation)])
          instrumentation.close();
        let open = servers.length;
        for (const server of servers) {
          server.close(() => {
            if (--open === 0) resolve();
          });
          server.closeIdleConnections();
        }
        backendAgent.destroy();
        // A push still streaming gets a moment to finish, not forever.
        setTimeout(resolve, 2000).unref();
      }),
  };
}
