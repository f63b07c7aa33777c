// CWE-22 rule: a request-derived path reaches a file-system sink with no containment check in
// the handler (definition on pathTraversalRule). Deliberately flow-insensitive, unlike CodeQL.
// eslint-plugin-security's detect-non-literal-fs-filename flags every non-literal path, safe or
// not, so it is not used for this CWE.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calledLocalFunctions, calleeLast, calleeName, objectProperty, outermostFunction, walk, type AstNode, type Context } from './ast.js';
import { moduleCall } from './modules.js';
import { NUMERIC_SANITISERS, isRequestDerived, isResponseRoot } from './taint.js';

const PATH_SANITISERS = [...NUMERIC_SANITISERS, 'basename', 'path.basename', 'sanitizeFilename', 'sanitize-filename', 'sanitize'];

/** fs functions and which arguments are paths. */
const FS_PATH_ARGS: Record<string, number[]> = {
  readFile: [0], readFileSync: [0], writeFile: [0], writeFileSync: [0], appendFile: [0], appendFileSync: [0],
  createReadStream: [0], createWriteStream: [0], unlink: [0], unlinkSync: [0], rm: [0], rmSync: [0],
  rmdir: [0], rmdirSync: [0], readdir: [0], readdirSync: [0], stat: [0], statSync: [0], lstat: [0],
  lstatSync: [0], access: [0], accessSync: [0], exists: [0], existsSync: [0], open: [0], openSync: [0],
  mkdir: [0], mkdirSync: [0], copyFile: [0, 1], copyFileSync: [0, 1], rename: [0, 1], renameSync: [0, 1],
  cp: [0, 1], cpSync: [0, 1], truncate: [0], truncateSync: [0], readJson: [0], readJsonSync: [0],
  outputFile: [0], remove: [0], pathExists: [0], symlink: [0, 1], symlinkSync: [0, 1],
};

function hasContainmentCheck(context: Context, root: ESTree.Node): boolean {
  let found = false;
  walk(context, root, (node) => {
    if (found || node.type !== 'CallExpression') return;
    const last = calleeLast(node.callee);
    const name = calleeName(node.callee);
    const first = node.arguments[0];
    const firstText = first && first.type === 'Literal' && typeof first.value === 'string' ? first.value : null;
    if (last === 'startsWith' || name === 'path.relative' || last === 'isInside' || last === 'isPathInside') found = true;
    else if ((last === 'includes' || last === 'indexOf') && firstText !== null && firstText.includes('..')) found = true;
    else if (last === 'test' && node.callee.type === 'MemberExpression' && isAnchoredRegex(node.callee.object)) found = true;
    else if (last === 'match' && first && isAnchoredRegex(first)) found = true;
  });
  return found;
}

function isAnchoredRegex(node: ESTree.Node): boolean {
  if (node.type !== 'Literal' || !('regex' in node) || !node.regex) return false;
  const pattern = node.regex.pattern;
  // ^[\w-]+\.pdf$ style allow-lists; a bare /\.\./ test is a rejection, also fine.
  return (pattern.startsWith('^') && pattern.endsWith('$') && !pattern.includes('.*') && !pattern.includes('.+')) || pattern.includes('\\.\\.');
}

/**
 * Reports a path derived from request input reaching a file-system sink (an fs call's path
 * argument; res.sendFile / res.download without a `root` option) when neither the enclosing
 * handler nor a local helper it calls has a containment check: a `.startsWith(...)` call (prefix
 * check after resolve), `path.relative`, a `'..'` rejection (`includes/indexOf('..')`), or an
 * anchored allow-list regex test. path.basename() on the input also cleans it.
 */
export const pathTraversalRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'request-controlled path reaches a file-system sink without a containment check (CWE-22)' },
    schema: [],
  },
  create(context) {
    const tainted = (node: ESTree.Node | undefined): boolean =>
      !!node && node.type !== 'SpreadElement' && isRequestDerived(node, context, { sanitisers: PATH_SANITISERS });

    const report = (node: ESTree.CallExpression, what: string): void => {
      const handler = outermostFunction(node as AstNode);
      // The check may live in a helper the handler calls (isInsideRoot(p)); look one level down.
      if ([handler, ...calledLocalFunctions(context, handler)].some((fn) => hasContainmentCheck(context, fn))) return;
      context.report({ node, message: `${what} with a path derived from request input and no containment check` });
    };

    return {
      CallExpression(node) {
        const target = moduleCall(node, context);
        if (target && target.module === 'fs') {
          const indices = FS_PATH_ARGS[target.name];
          if (indices && indices.some((i) => tainted(node.arguments[i]))) report(node, `fs.${target.name}()`);
          return;
        }
        // Express: res.sendFile(p) / res.download(p); a `root` option makes send() refuse '..'.
        const method = calleeLast(node.callee);
        if ((method !== 'sendFile' && method !== 'download') || node.callee.type !== 'MemberExpression') return;
        const object = node.callee.object;
        if (object.type !== 'Identifier' || !isResponseRoot(object, context)) return;
        const options = node.arguments[1] as ESTree.Node | undefined;
        if (objectProperty(options, 'root')) return;
        if (tainted(node.arguments[0])) report(node, `res.${method}()`);
      },
    };
  },
};
