/** Status page rows of a run with every outcome, for the page's unit and browser specs. */
import type { StatusRow } from './status-page';

export const GENERATED_AT = '2026-11-29T12:00:00.000Z';
const D = (c: string) => `sha256:${c.repeat(64)}`;

export const FIXTURE_ROWS: StatusRow[] = [
  {
    image: 'net8-runtime',
    projectRoot: 'platform-images/net8/runtime',
    decision: 'current',
    reason: '8.0-bookworm-slim-1.2.0 is built on sha256:111111111111, the current base',
    reasonCode: 'current',
    baseName: 'mcr.microsoft.com/dotnet/runtime:8.0-bookworm-slim',
    baseDigest: D('1'),
    newestVersion: '8.0-bookworm-slim-1.2.0',
    newestDigest: D('a'),
    publishedAt: '2026-10-02T09:30:00.000Z',
    dotnet: 'net8',
    endOfSupport: '2026-11-10',
    scan: '1 HIGH, 3 LOW',
  },
  {
    image: 'net10-aspnet',
    projectRoot: 'platform-images/net10/aspnet',
    decision: 'rebuilt',
    reason: 'mcr.microsoft.com/dotnet/aspnet:10.0 moved from sha256:333333333333 to sha256:444444444444',
    reasonCode: 'base-moved',
    baseName: 'mcr.microsoft.com/dotnet/aspnet:10.0',
    baseDigest: D('4'),
    publishedBaseDigest: D('3'),
    newestVersion: '10.0-1.0.1',
    newestDigest: D('b'),
    dotnet: 'net10',
    endOfSupport: '2028-11-14',
    scan: 'no findings',
  },
  {
    image: 'net9-sdk',
    projectRoot: 'platform-images/net9/sdk',
    decision: 'failed at integration-test',
    reason: 'the test app did not answer on port 8080 <script>alert(1)</script>',
    reasonCode: 'context-changed',
    baseName: 'mcr.microsoft.com/dotnet/sdk:9.0',
    baseDigest: D('5'),
    newestVersion: '9.0-2.0.0',
    dotnet: 'net9',
    endOfSupport: '2026-11-10',
    failedStep: 'integration-test',
    fix: 'make the app listen on the port the image configures',
  },
  {
    image: 'net6-legacy',
    projectRoot: 'platform-images/net6/legacy',
    decision: 'stale, not built',
    reason: 'no version published yet',
    reasonCode: 'nothing-published',
    baseName: 'mcr.microsoft.com/dotnet/runtime:6.0',
    baseDigest: D('6'),
    dotnet: 'net6',
    endOfSupport: '2024-11-12',
  },
];
