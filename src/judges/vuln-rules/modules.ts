// Resolve what a callee refers to in terms of Node modules: `fs.promises.readFile`,
// `const { exec } = require('child_process')`, `import * as cp from 'node:child_process'`,
// `promisify(cp.exec)` all become { module, path }. Deliberately local (one file, no
// re-exports followed); model-written snippets often omit the require, so a few conventional
// unbound names (`fs`, `exec`) fall back to the module they normally name.
import type * as ESTree from 'estree';
import { calleeLast, findVariable, propertyName, type Context } from './ast.js';

export interface ModulePath {
  module: string;
  path: string[];
}

const UNBOUND_FALLBACK: Record<string, ModulePath> = {
  fs: { module: 'fs', path: [] },
  fsp: { module: 'fs', path: [] },
  child_process: { module: 'child_process', path: [] },
  childProcess: { module: 'child_process', path: [] },
  exec: { module: 'child_process', path: ['exec'] },
  execSync: { module: 'child_process', path: ['execSync'] },
  spawn: { module: 'child_process', path: ['spawn'] },
  spawnSync: { module: 'child_process', path: ['spawnSync'] },
  execFile: { module: 'child_process', path: ['execFile'] },
  execFileSync: { module: 'child_process', path: ['execFileSync'] },
  serialize: { module: 'node-serialize', path: [] },
  yaml: { module: 'js-yaml', path: [] },
  vm: { module: 'vm', path: [] },
};

/** `node:fs/promises` -> fs; fs-extra and graceful-fs are fs for our purposes. */
export function normaliseModule(name: string): string {
  const bare = name.replace(/^node:/, '');
  if (bare === 'fs/promises' || bare === 'fs-extra' || bare === 'graceful-fs' || bare === 'fs') return 'fs';
  return bare;
}

export function resolveModulePath(node: ESTree.Node, context: Context, depth = 0): ModulePath | null {
  if (depth > 8) return null;
  switch (node.type) {
    case 'CallExpression': {
      const first = node.arguments[0];
      if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
        return first && first.type === 'Literal' && typeof first.value === 'string' ? { module: normaliseModule(first.value), path: [] } : null;
      }
      if (calleeLast(node.callee) === 'promisify' && first && first.type !== 'SpreadElement') return resolveModulePath(first, context, depth + 1);
      return null;
    }
    case 'AwaitExpression':
      return resolveModulePath(node.argument, context, depth + 1);
    case 'ImportExpression':
      return node.source.type === 'Literal' && typeof node.source.value === 'string' ? { module: normaliseModule(node.source.value), path: [] } : null;
    case 'MemberExpression': {
      const name = propertyName(node);
      if (name === null) return null;
      const base = resolveModulePath(node.object, context, depth + 1);
      return base ? { module: base.module, path: [...base.path, name] } : null;
    }
    case 'Identifier':
      return resolveIdentifier(node, context, depth);
    default:
      return null;
  }
}

function resolveIdentifier(node: ESTree.Identifier, context: Context, depth: number): ModulePath | null {
  const variable = findVariable(context, node, node.name);
  if (!variable) return UNBOUND_FALLBACK[node.name] ?? null;
  for (const def of variable.defs) {
    if (def.type === 'ImportBinding') {
      const declaration = def.parent as ESTree.ImportDeclaration;
      const module = normaliseModule(String(declaration.source.value));
      const specifier = def.node as ESTree.ImportSpecifier | ESTree.ImportDefaultSpecifier | ESTree.ImportNamespaceSpecifier;
      if (specifier.type === 'ImportSpecifier') {
        const imported = specifier.imported.type === 'Identifier' ? specifier.imported.name : String(specifier.imported.value);
        return { module, path: imported === 'default' ? [] : [imported] };
      }
      return { module, path: [] };
    }
    if (def.type === 'Variable') {
      const declarator = def.node as ESTree.VariableDeclarator;
      if (!declarator.init) continue;
      const base = resolveModulePath(declarator.init, context, depth + 1);
      if (!base) continue;
      if (declarator.id.type === 'Identifier') return base;
      const key = destructuredKey(declarator.id, node.name);
      if (key) return { module: base.module, path: [...base.path, key] };
    }
  }
  return null;
}

/** In `{ exec: run, spawn }`, the key bound to `name` (`exec` for run). */
function destructuredKey(pattern: ESTree.Pattern, name: string): string | null {
  if (pattern.type !== 'ObjectPattern') return null;
  for (const property of pattern.properties) {
    if (property.type !== 'Property') continue;
    const value = property.value.type === 'AssignmentPattern' ? property.value.left : property.value;
    if (value.type !== 'Identifier' || value.name !== name) continue;
    if (property.key.type === 'Identifier') return property.key.name;
    if (property.key.type === 'Literal') return String(property.key.value);
  }
  return null;
}

/** The module function a call invokes, with `promises` hops dropped: fs.promises.readFile -> readFile. */
export function moduleCall(call: ESTree.CallExpression | ESTree.NewExpression, context: Context): { module: string; name: string } | null {
  const resolved = resolveModulePath(call.callee, context);
  if (!resolved) return null;
  const path = resolved.path.filter((part) => part !== 'promises' && part !== 'default');
  if (path.length === 0) return { module: resolved.module, name: '' };
  return path.length === 1 ? { module: resolved.module, name: path[0] } : null;
}
