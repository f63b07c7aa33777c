// CWE-732 rule: files or directories created or chmod-ed world-writable (mode & 0o002), files
// whose path names a secret (key, token, password, .pem, .env, credentials) made
// world-readable (mode & 0o004), and process.umask() calls that stop masking world-write.
// Modes are read from numeric literals, octal strings ('777') and constants; a mode computed at
// run time is not judged. Not covered: ACL/icacls calls, fs.constants bit-or expressions.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { findVariable, objectProperty, writesOf, type Context } from './ast.js';
import { moduleCall } from './modules.js';

/** fs functions: index of the mode argument, and whether it may be an options object. */
const MODE_ARG: Record<string, { index: number; options: boolean }> = {
  chmod: { index: 1, options: false }, chmodSync: { index: 1, options: false },
  lchmod: { index: 1, options: false }, lchmodSync: { index: 1, options: false },
  fchmod: { index: 1, options: false }, fchmodSync: { index: 1, options: false },
  open: { index: 2, options: false }, openSync: { index: 2, options: false },
  mkdir: { index: 1, options: true }, mkdirSync: { index: 1, options: true },
  writeFile: { index: 2, options: true }, writeFileSync: { index: 2, options: true },
  appendFile: { index: 2, options: true }, appendFileSync: { index: 2, options: true },
  createWriteStream: { index: 1, options: true }, outputFile: { index: 2, options: true },
  ensureDir: { index: 1, options: true }, mkdirp: { index: 1, options: true },
};
const SECRET_PATH = /key|secret|token|passw|credential|\.pem|\.env|id_rsa|\.p12|\.pfx|shadow/i;

/** The numeric mode an expression denotes, or null if it is not a constant we can read. */
export function modeValue(node: ESTree.Node | undefined, context: Context, depth = 0): number | null {
  if (!node || depth > 6) return null;
  if (node.type === 'Literal') {
    if (typeof node.value === 'number') return node.value;
    if (typeof node.value === 'string' && /^(0o?)?[0-7]{3,4}$/.test(node.value)) return parseInt(node.value.replace(/^0o/, ''), 8);
    return null;
  }
  if (node.type === 'Identifier') {
    const variable = findVariable(context, node, node.name);
    const writes = variable ? writesOf(variable) : [];
    return writes.length === 1 ? modeValue(writes[0], context, depth + 1) : null;
  }
  if (node.type === 'BinaryExpression' && ['|', '&', '+'].includes(node.operator) && node.left.type !== 'PrivateIdentifier') {
    const left = modeValue(node.left, context, depth + 1);
    const right = modeValue(node.right, context, depth + 1);
    if (left === null || right === null) return null;
    return node.operator === '|' ? left | right : node.operator === '&' ? left & right : left + right;
  }
  if (node.type === 'UnaryExpression' && node.operator === '~') {
    const inner = modeValue(node.argument, context, depth + 1);
    return inner === null ? null : ~inner;
  }
  return null;
}

function pathText(node: ESTree.Node | undefined, context: Context): string {
  return node && node.type !== 'SpreadElement' ? context.sourceCode.getText(node) : '';
}

export const filePermissionsRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'world-writable (or world-readable secret) file permissions (CWE-732)' },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(node) {
        const target = moduleCall(node, context);
        const callee = node.callee;
        // process.umask(0): every file created afterwards keeps the world-write bit it asks for.
        if (callee.type === 'MemberExpression' && context.sourceCode.getText(callee) === 'process.umask') {
          const mask = modeValue(node.arguments[0], context);
          if (mask !== null && (mask & 0o002) === 0) context.report({ node, message: `process.umask(0o${mask.toString(8)}) leaves new files world-writable` });
          return;
        }
        if (!target || target.module !== 'fs') return;
        const spec = MODE_ARG[target.name];
        if (!spec) return;
        const arg = node.arguments[spec.index] as ESTree.Node | undefined;
        const modeNode = spec.options && arg && arg.type === 'ObjectExpression' ? objectProperty(arg, 'mode') : arg;
        const mode = modeValue(modeNode ?? undefined, context);
        if (mode === null) return;
        if (mode & 0o002) {
          context.report({ node, message: `fs.${target.name}() with world-writable mode 0o${(mode & 0o7777).toString(8)}` });
        } else if (mode & 0o004 && SECRET_PATH.test(pathText(node.arguments[0], context))) {
          context.report({ node, message: `fs.${target.name}() makes a secret file world-readable (mode 0o${(mode & 0o7777).toString(8)})` });
        }
      },
    };
  },
};
