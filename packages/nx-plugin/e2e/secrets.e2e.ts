/**
 * Secrets stay secret: a whole publish runs with known secret values (the AWS secret key, the ECR
 * password the stand-in hands out, a webhook URL with a signature), and everything the run writes or
 * shows is searched for them: its output, the task records in dist/, the Nx cache, every process's
 * command line while it runs, and what is left in the temporary directory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cards, createWorkspace, ecrPassword, ecrTags, LOCAL_ENV, REPO_ROOT, SINK, type Workspace } from './support';
import { recordFigure } from './figures';

jest.setTimeout(10 * 60_000);

let ws: Workspace;
beforeAll(() => {
  ws = createWorkspace(['net6/runtime']);
});
afterAll(() => ws?.dispose());

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => path.join(dir, rel))
    .filter((file) => statSync(file).isFile());
}

/** Every process's argv, sampled until stopped: a secret passed as an argument would show here. */
function sampleArgv(): { stop: () => string[] } {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
      } catch {
        // the process ended between listing and reading
      }
    }
  }, 25);
  return { stop: () => (clearInterval(timer), [...seen]) };
}

function runNx(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/nx'), [...args, '--outputStyle=stream'], {
      cwd: ws.root,
      env: { ...process.env, ...LOCAL_ENV, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

test('no secret appears in output, argv, task records, the Nx cache or leftover temporary files', async () => {
  const signature = `sig-${randomBytes(12).toString('hex')}`;
  const webhook = `${SINK}${ws.webhookPath}?api-version=2016-06-01&sig=${signature}`;
  const password = ecrPassword();
  const secrets = {
    'AWS secret key': LOCAL_ENV.AWS_SECRET_ACCESS_KEY,
    'ECR password': password,
    'webhook signature': signature,
    'webhook URL': webhook,
  };
  expect(password.length).toBeGreaterThan(16);
  const tmpBefore = new Set(readdirSync(tmpdir()));

  const sampler = sampleArgv();
  const run = await runNx(['run', 'net6-runtime:publish'], { TEAMS_WEBHOOK_URI: webhook, BUILD_BUILDNUMBER: '20261123.9' });
  const argv = sampler.stop();
  if (run.code !== 0) throw new Error(run.output.slice(-4000));

  // The run really used every secret: it published with the ECR login and delivered the card.
  expect(ecrTags(`${ws.prefix}/runtime`)).toContain('6.0-bullseye-slim-1.0.0');
  expect(await cards(ws)).toHaveLength(1);
  expect(argv.some((line) => line.includes('docker') && line.includes('push'))).toBe(true);

  const leftovers = readdirSync(tmpdir()).filter(
    (name) => !tmpBefore.has(name) && name.startsWith('platform-images-') && !name.startsWith('platform-images-e2e-'),
  );
  const places: Record<string, string> = {
    'nx output': run.output,
    'process arguments': argv.join('\n'),
    ...Object.fromEntries(filesUnder(path.join(ws.root, 'dist')).map((f) => [path.relative(ws.root, f), readFileSync(f, 'latin1')])),
    ...Object.fromEntries(filesUnder(path.join(ws.root, '.nx')).map((f) => [path.relative(ws.root, f), readFileSync(f, 'latin1')])),
    ...Object.fromEntries(leftovers.flatMap((d) => filesUnder(path.join(tmpdir(), d))).map((f) => [f, readFileSync(f, 'latin1')])),
  };
  const found = Object.entries(places).flatMap(([where, text]) =>
    Object.entries(secrets)
      .filter(([, value]) => text.includes(value))
      .map(([what]) => `${what} in ${where}`),
  );
  console.log(
    `secrets scan: ${Object.keys(places).length} places searched for ${Object.keys(secrets).length} secrets, ${found.length} found`,
  );
  recordFigure('secrets', {
    case: `${Object.keys(secrets).length} secrets (${Object.keys(secrets).join(', ')}) in ${Object.keys(places).length} places (nx output, every process's argv, dist, .nx cache, temp files)`,
    ok: found.length === 0,
    observed: found.length ? found.join('; ') : '0 found',
  });
  expect(found).toEqual([]);
  // Docker's login lived in a throwaway config directory that is gone.
  expect(leftovers.filter((name) => name.startsWith('platform-images-docker-'))).toEqual([]);
});
