/**
 * `nx g @platform-images/nx-plugin:test-app`: a test app for a .NET line's platform images
 * (integration-tests/<dotnet> or integration-tests/<dotnet>-runtime), the same app the workspace's own
 * test apps are: framework-dependent, so the integration test runs it on the platform image's own .NET.
 */
import * as path from 'node:path';
import { generateFiles, logger, type Tree } from '@nx/devkit';
import { configSchemaRef } from '../config-schema';
import { normalizeOptions } from './normalize';
import type { TestAppGeneratorSchema } from './schema';

export type { TestAppGeneratorSchema } from './schema';

export function testAppGenerator(tree: Tree, schema: TestAppGeneratorSchema): void {
  const options = normalizeOptions(schema);
  if (tree.exists(options.directory)) {
    throw new Error(`${options.directory} already exists: choose another --name, or edit that test app instead`);
  }
  const substitutions = { ...options, configSchema: configSchemaRef(tree, options.directory, 'test-app') };
  generateFiles(tree, path.join(__dirname, 'files', 'common'), options.directory, substitutions);
  generateFiles(tree, path.join(__dirname, 'files', options.kind), options.directory, substitutions);
  // No formatFiles: the templates are written formatted, and the workspace's test apps are these files
  // exactly (generator.spec.ts compares them), which a formatter's opinions would only break.

  logger.info(
    `${options.directory}: ${options.project} on ${options.targetFramework}, built FROM ${options.sdkImage}, run FROM ${options.finalImage}`,
  );
  // The FROM each platform image of the line stands for, which its integrationTest.replaceFrom names.
  const stands =
    options.kind === 'aspnet'
      ? [
          ['aspnet', options.finalImage],
          ['sdk', options.sdkImage],
        ]
      : [['runtime', options.finalImage]];
  for (const [variant, image] of stands) {
    logger.info(
      `for ${options.dotnet}-${variant}, platform-image.json: "integrationTest": { "app": "${options.directory}", "replaceFrom": "${image}" }`,
    );
  }
}

export default testAppGenerator;
