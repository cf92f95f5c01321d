/**
 * The `$schema` a generated platform-image.json or test-app.json names, so editors complete and check it: the
 * plugin's JSON Schema (src/schemas/, built into dist/schemas/), by a path relative to the file.
 *
 * A workspace that installed the plugin has it in node_modules, built: node_modules/@platform-images/nx-plugin/
 * dist/schemas/. A workspace where the plugin is a project of its own (the plugin's own repository) names the
 * schema's source, which is there from the checkout on, before any build, and is the schema being edited.
 */
import * as path from 'node:path';
import { getProjects, type Tree } from '@nx/devkit';
import { PLUGIN_NAME } from '../types/workspace';

export type ConfigSchema = 'platform-image' | 'test-app';

/** The schema's path from the workspace root. */
export function configSchemaPath(tree: Tree, schema: ConfigSchema): string {
  const file = `${schema}.schema.json`;
  for (const project of getProjects(tree).values()) {
    const manifest = path.posix.join(project.root, 'package.json');
    if (!tree.exists(manifest)) continue;
    const { name } = JSON.parse(tree.read(manifest, 'utf-8')!) as { name?: string };
    if (name === PLUGIN_NAME) return path.posix.join(project.root, 'src', 'schemas', file);
  }
  return path.posix.join('node_modules', PLUGIN_NAME, 'dist', 'schemas', file);
}

/** The value of `$schema` in a file of `dir` (a folder relative to the workspace root). */
export function configSchemaRef(tree: Tree, dir: string, schema: ConfigSchema): string {
  return path.posix.relative(dir, configSchemaPath(tree, schema));
}
