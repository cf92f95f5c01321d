#!/usr/bin/env node
// `platform-images-azure` (package.json `bin`): the commands the Azure Pipelines templates run, compiled in
// dist/azure/. This file lives outside dist/ so that npm links the command when it installs the package even
// where dist/ is built only afterwards (a workspace holding the plugin's source as a project).
'use strict';
let cli;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS entry loading the compiled CommonJS
  cli = require('../dist/azure/cli.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/azure/cli.js')) {
    console.error('platform-images-azure: the nx plugin is not built (no dist/azure/cli.js): build it first');
    process.exit(1);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 1;
  },
);
