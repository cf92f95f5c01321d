/**
 * What AWS calls the nx plugin's source makes, read from the source itself (TypeScript syntax trees, not the
 * running product), and what an IAM policy document allows. docs/iam/*.json are checked against the first
 * with the second (tools/iam-policy.spec.ts), so a call added to the code without its permission fails the
 * unit tests instead of a scheduled run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ecrSdk from '@aws-sdk/client-ecr';
import * as stsSdk from '@aws-sdk/client-sts';
import * as ts from 'typescript';

/** The SDK packages whose operations the scan maps to IAM actions, by their IAM service prefix. */
const SERVICE_PREFIXES: Record<string, string> = {
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-sts': 'sts',
};

/** The SDK packages the scan maps, as loaded: what each exports tells a command from an enum or a constant. */
export const SDK_PACKAGES: Record<string, object> = {
  '@aws-sdk/client-ecr': ecrSdk,
  '@aws-sdk/client-sts': stsSdk,
};

/**
 * Operations AWS documents as needing no permission. STS API reference, GetCallerIdentity: "No permissions
 * are required to perform this operation", and an explicit deny does not stop it.
 */
export const NO_PERMISSION_NEEDED: Record<string, string> = {
  'sts:GetCallerIdentity': 'STS documents GetCallerIdentity as needing no permission (an explicit deny does not stop it)',
};

/** One AWS operation the source sends: `ecr:DescribeImages` from `paginateDescribeImages` in lib/ecr.ts. */
export interface AwsCall {
  /** `<service prefix>:<operation>`, which is also the IAM action that authorises it. */
  operation: string;
  /** The imported name that sends it (`DescribeRepositoriesCommand`, `paginateDescribeImages`). */
  via: string;
  /** Relative to the scanned root. */
  file: string;
}

export interface SourceScan {
  calls: AwsCall[];
  /** Where in the file each call's name is used (offsets), for telling which class member sends what. */
  uses: Array<{ operation: string; at: number }>;
  /** AWS SDK uses the scan cannot map to an operation; each must be taught to it (or the code changed). */
  unrecognised: string[];
}

/** The operation an imported SDK name sends, `undefined` for names that send nothing (clients, exceptions). */
function operationOf(prefix: string, name: string): string | undefined {
  const command = /^(\w+)Command$/.exec(name);
  if (command) return `${prefix}:${command[1]}`;
  const paginator = /^paginate(\w+)$/.exec(name);
  if (paginator) return `${prefix}:${paginator[1]}`;
  return undefined;
}

/** Names an SDK package exports that send no request of their own. */
function sendsNothing(pkg: string, name: string): boolean {
  if (/(Client|Exception|ServiceException)$/.test(name)) return true;
  // Enums and constants are plain objects; anything else callable (an aggregated client, a waiter) sends requests.
  return typeof (SDK_PACKAGES[pkg] as Record<string, unknown> | undefined)?.[name] !== 'function';
}

function moduleName(node: ts.Expression | undefined): string | undefined {
  return node && ts.isStringLiteralLike(node) ? node.text : undefined;
}

/** `require('x')` or `import('x')`, under any `await`, parentheses or `as` casts. */
function loadedModule(node: ts.Expression): string | undefined {
  let e: ts.Expression = node;
  while (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) e = e.expression;
  if (!ts.isCallExpression(e)) return undefined;
  const isRequire = ts.isIdentifier(e.expression) && e.expression.text === 'require';
  const isImport = e.expression.kind === ts.SyntaxKind.ImportKeyword;
  return isRequire || isImport ? moduleName(e.arguments[0]) : undefined;
}

const isAwsPackage = (name: string | undefined): name is string => !!name && name.startsWith('@aws-sdk/');

/**
 * The AWS operations one source file sends. Static imports, `require` and dynamic `import()` of an SDK
 * package are followed to the names they bind; a Command or paginator counts as sent wherever its name is
 * used. Anything else that reaches an AWS package is reported, not guessed.
 */
export function scanSource(file: string, text: string): SourceScan {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const calls: AwsCall[] = [];
  const uses: SourceScan['uses'] = [];
  const unrecognised: string[] = [];
  /** Local name → [package, exported name]; namespaces map to an empty exported name. */
  const bindings = new Map<string, [string, string]>();
  const declarations = new Set<ts.Node>();

  const bind = (pkg: string, exported: string, local: ts.Identifier) => {
    bindings.set(local.text, [pkg, exported]);
    declarations.add(local);
  };
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;

  const collect = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && isAwsPackage(moduleName(node.moduleSpecifier))) {
      const pkg = moduleName(node.moduleSpecifier)!;
      const clause = node.importClause;
      if (clause && !clause.isTypeOnly) {
        if (clause.name) bind(pkg, '', clause.name);
        const named = clause.namedBindings;
        if (named && ts.isNamespaceImport(named)) bind(pkg, '', named.name);
        if (named && ts.isNamedImports(named)) {
          for (const element of named.elements)
            if (!element.isTypeOnly) bind(pkg, (element.propertyName ?? element.name).text, element.name);
        }
      }
      return;
    }
    if (ts.isVariableDeclaration(node) && node.initializer && isAwsPackage(loadedModule(node.initializer))) {
      const pkg = loadedModule(node.initializer)!;
      if (ts.isIdentifier(node.name)) bind(pkg, '', node.name);
      else if (ts.isObjectBindingPattern(node.name)) {
        for (const element of node.name.elements) {
          const exported = element.propertyName ?? element.name;
          if (ts.isIdentifier(element.name) && ts.isIdentifier(exported)) bind(pkg, exported.text, element.name);
          else unrecognised.push(`${where(element)}: a destructuring of ${pkg} the scan cannot follow`);
        }
      } else unrecognised.push(`${where(node)}: a load of ${pkg} the scan cannot follow`);
      return;
    }
    // Bound loads returned above; this one hands its exports to no name (`(await import(pkg)).XCommand`).
    if (ts.isCallExpression(node) && isAwsPackage(loadedModule(node))) {
      unrecognised.push(`${where(node)}: ${loadedModule(node)} loaded without binding its exports to names`);
    }
    ts.forEachChild(node, collect);
  };
  collect(source);

  const record = (pkg: string, exported: string, node: ts.Node) => {
    const prefix = SERVICE_PREFIXES[pkg];
    if (!prefix) {
      unrecognised.push(`${where(node)}: ${exported} from ${pkg}, a package the scan does not map to IAM actions`);
      return;
    }
    const operation = operationOf(prefix, exported);
    if (operation) {
      calls.push({ operation, via: exported, file });
      uses.push({ operation, at: node.getStart() });
    } else if (!sendsNothing(pkg, exported))
      unrecognised.push(`${where(node)}: ${exported} from ${pkg} may send requests the scan cannot name`);
  };

  const findUses = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !declarations.has(node) && bindings.has(node.text)) {
      const parent = node.parent;
      // In `x.y` only x can be a binding: a property that shares a binding's name is not a use of it.
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node);
      const [pkg, exported] = bindings.get(node.text)!;
      if (!isPropertyName && !ts.isImportSpecifier(parent) && !ts.isBindingElement(parent)) {
        if (exported) record(pkg, exported, node);
        else if (ts.isPropertyAccessExpression(parent) && parent.expression === node) record(pkg, parent.name.text, parent);
        else if (!ts.isTypeQueryNode(parent) && !ts.isQualifiedName(parent)) unrecognised.push(`${where(node)}: ${pkg} used as a whole`);
      }
    }
    ts.forEachChild(node, findUses);
  };
  findUses(source);

  return { calls: dedupe(calls), uses, unrecognised };
}

function dedupe(calls: AwsCall[]): AwsCall[] {
  const seen = new Map<string, AwsCall>();
  for (const call of calls) seen.set(`${call.operation}|${call.via}|${call.file}`, call);
  return [...seen.values()].sort((a, b) => a.operation.localeCompare(b.operation) || a.file.localeCompare(b.file));
}

/** The product's TypeScript under `root`, without its tests. */
export function productFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  walk(root);
  return files.sort();
}

/** Every AWS operation the product source under `root` sends. */
export function scanProduct(root: string): Omit<SourceScan, 'uses'> {
  const calls: AwsCall[] = [];
  const unrecognised: string[] = [];
  for (const file of productFiles(root)) {
    const scan = scanSource(path.relative(root, file), readFileSync(file, 'utf8'));
    calls.push(...scan.calls);
    unrecognised.push(...scan.unrecognised);
  }
  return { calls: dedupe(calls), unrecognised };
}

/**
 * Per member of each class in a file, the operations it sends, its own and those of the members it reaches
 * through `this` (a getter or a helper method that logs in or asks STS counts for its callers).
 */
export function operationsByMember(file: string, text: string): Map<string, Set<string>> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const { uses } = scanSource(file, text);
  const direct = new Map<string, Set<string>>();
  const reaches = new Map<string, Set<string>>();
  const visitClass = (cls: ts.ClassDeclaration) => {
    for (const member of cls.members) {
      const name =
        member.name && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name))
          ? member.name.text
          : ts.isConstructorDeclaration(member)
            ? 'constructor'
            : undefined;
      if (!name) continue;
      const ops = direct.get(name) ?? new Set<string>();
      const next = reaches.get(name) ?? new Set<string>();
      for (const use of uses) if (use.at >= member.getStart() && use.at < member.getEnd()) ops.add(use.operation);
      const walk = (node: ts.Node): void => {
        if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword) next.add(node.name.text);
        ts.forEachChild(node, walk);
      };
      walk(member);
      direct.set(name, ops);
      reaches.set(name, next);
    }
  };
  const find = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node)) visitClass(node);
    ts.forEachChild(node, find);
  };
  find(source);
  const closed = new Map<string, Set<string>>();
  for (const name of direct.keys()) {
    const ops = new Set<string>();
    const seen = new Set<string>();
    const visit = (member: string) => {
      if (seen.has(member) || !direct.has(member)) return;
      seen.add(member);
      for (const op of direct.get(member)!) ops.add(op);
      for (const other of reaches.get(member) ?? []) visit(other);
    };
    visit(name);
    closed.set(name, ops);
  }
  return closed;
}

/** The member names a file accesses on receivers matching `receiver` (`ecr.listImages` → listImages). */
export function memberAccessesOn(file: string, text: string, receiver: RegExp): Set<string> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const names = new Set<string>();
  const walk = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && receiver.test(node.expression.getText(source))) names.add(node.name.text);
    ts.forEachChild(node, walk);
  };
  walk(source);
  return names;
}

/** An identity-based policy document, as IAM accepts it. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

export const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every action the document allows, as written (the checks reject wildcards, so no expansion is needed). */
export function allowedActions(policy: PolicyDocument): string[] {
  return [...new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action)))].sort();
}

/**
 * What keeps a document from being a valid, least-privilege policy of this product's kind: the 2012-10-17
 * grammar, a distinct alphanumeric Sid per statement, Allow with explicit Action and Resource lists, no
 * wildcards in actions, and `*` as a resource only for the actions in `wildcardOnly` (those the Service
 * Authorization Reference lists without a resource type), which in turn get `*` alone.
 */
export function policyProblems(policy: PolicyDocument, wildcardOnly: Set<string>, resourcePattern: RegExp): string[] {
  const problems: string[] = [];
  if (policy.Version !== '2012-10-17') problems.push(`Version is ${JSON.stringify(policy.Version)}, not "2012-10-17"`);
  if (!Array.isArray(policy.Statement) || policy.Statement.length === 0) return [...problems, 'Statement is not a non-empty list'];
  const sids = new Set<string>();
  policy.Statement.forEach((s, i) => {
    const at = `Statement ${s.Sid ?? i}`;
    const keys = Object.keys(s).filter((k) => !['Sid', 'Effect', 'Action', 'Resource'].includes(k));
    if (keys.length) problems.push(`${at}: unexpected ${keys.join(', ')}`);
    if (!s.Sid || !/^[A-Za-z0-9]+$/.test(s.Sid)) problems.push(`${at}: Sid must be alphanumeric`);
    else if (sids.has(s.Sid)) problems.push(`${at}: Sid repeated`);
    else sids.add(s.Sid);
    if (s.Effect !== 'Allow') problems.push(`${at}: Effect ${s.Effect}, not Allow`);
    const actions = asList(s.Action);
    const resources = asList(s.Resource);
    if (!actions.length) problems.push(`${at}: no Action`);
    if (!resources.length) problems.push(`${at}: no Resource`);
    for (const action of actions) {
      if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) problems.push(`${at}: ${action} is not one named action (no wildcards)`);
    }
    const needStar = actions.filter((a) => wildcardOnly.has(a));
    if (needStar.length && (needStar.length !== actions.length || resources.join() !== '*')) {
      problems.push(`${at}: ${needStar.join(', ')} take Resource "*" and belong in a statement of their own`);
    }
    if (!needStar.length) {
      for (const resource of resources)
        if (!resourcePattern.test(resource)) problems.push(`${at}: Resource ${resource} is not scoped to repositories`);
    }
  });
  return problems;
}
