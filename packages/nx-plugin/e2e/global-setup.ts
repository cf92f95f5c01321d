/**
 * Before the end-to-end suites: their nx runs load the plugin's build (packages/nx-plugin/dist, through the
 * temporary workspaces' link to this checkout's packages/), so it is made current here when a source changed
 * since the last build.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export default function globalSetup(): void {
  execFileSync(process.execPath, [path.join(__dirname, '../scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
}
