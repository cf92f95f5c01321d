// Before the end-to-end suites: their nx runs load the plugin's build (packages/nx-plugin/dist, through the
// temporary workspaces' link to this checkout's packages/), so it is made current here when a source changed
// since the last build.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = () => {
  execFileSync(process.execPath, [path.join(__dirname, '../scripts/build.js'), '--if-stale'], { stdio: 'inherit' });
};
