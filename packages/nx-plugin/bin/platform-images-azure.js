#!/usr/bin/env node
// `platform-images-azure` (package.json `bin`): the commands the Azure Pipelines templates run, compiled in
// dist/azure/. This file lives outside dist/ so that npm links the command when it installs the package even
// where dist/ is built only afterwards (a workspace holding the plugin's source as a project).
'use strict';
// Relative to this file, as every import() specifier is.
import('../dist/azure/cli.js')
  .then(
    // The compiled CommonJS module, as import() gives it: its exports under `default`.
    ({ default: cli }) =>
      cli.main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
      }),
    (error) => {
      if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
        console.error(`platform-images-azure: the nx plugin is not built (no dist/azure/cli.js beside bin/): build it first`);
      } else {
        console.error(error && error.stack ? error.stack : String(error));
      }
      process.exitCode = 1;
    },
  )
  .catch((error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 1;
  });
