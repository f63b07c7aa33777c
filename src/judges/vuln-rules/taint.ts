// Two value analyses the vulnerability rules share: "static" (built only from literals, constants
// and trusted process config, so an attacker cannot shape it) and "request-derived" (reaches back
// to an HTTP request in Express/Koa/fastify/hapi/http/Lambda style, the browser URL or cookies,
// or argv). Both follow local variables through all their writes, within one file. Deliberately
// not a data-flow engine (no inter-procedural flow, no path sensitivity).
import type * as ESTree from 'estree';
import type { Scope } from 'eslint';
import { calleeLast, calleeName, findVariable, lookupTable, memberChain, objectProperty, parameterOf, propertyName, writesOf, type Context } from './ast.js';

/** Calls that yield a value no attacker can shape whatever their arguments. */
const TRUSTED_CALLS = new Set(['os.tmpdir', 'os.homedir', 'process.cwd', 'Date.now', 'crypto.randomUUID', 'uuid', 'uuidv4', 'randomUUID']);
/** Calls whose result is static when all their arguments are. */
const PURE_CALLS = new Set(['path.join', 'path.resolve', 'path.normalize', 'path.basename', 'path.dirname', 'path.extname', 'String', 'JSON.stringify']);
/** Numeric/boolean conversions: injection-safe, so injection rules pass them as sanitisers. */
export const NUMERIC_SANITISERS = ['Number', 'parseInt', 'parseFloat', 'Boolean', 'Number.parseInt', 'Number.parseFloat', 'Math.floor', 'Math.round', 'Math.ceil', 'Math.trunc', 'Math.abs'];

/** Calls whose result does not carry their arguments' taint: I/O and lookups keyed by input. */
const IO_CALLS = new Set([
  'readFile', 'readFileSync', 'createReadStream', 'readdir', 'readdirSync', 'statSync', 'stat', 'query', 'execute', 'run', 'all', 'get',
  'findOne', 'find', 'findById', 'findAll', 'findUnique', 'fetch', 'exec', 'execSync', 'execFile', 'execFileSync', 'spawnSync',
]);
/** Predicates: a boolean says nothing an attacker can inject. */
const BOOLEAN_CALLS = new Set(['has', 'includes', 'test', 'isInteger', 'isSafeInteger', 'isNaN', 'isFinite', 'hasOwn', 'hasOwnProperty', 'startsWith', 'endsWith', 'existsSync']);
const REQUEST_NAMES = new Set(['req', 'request']);
const RESPONSE_NAMES = new Set(['res', 'response', 'reply', 'resp']);
const REQUEST_PROPS = new Set(['params', 'query', 'body', 'payload', 'headers', 'cookies', 'signedCookies', 'url', 'originalUrl', 'path', 'files', 'file', 'hostname', 'rawBody', 'querystring', 'search']);
/** AWS Lambda / API Gateway event fields. */
const LAMBDA_PROPS = new Set(['queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'body', 'headers', 'cookies', 'rawQueryString', 'rawPath']);
const KOA_PROPS = new Set(['request', 'query', 'params', 'headers', 'cookies', 'querystring', 'url', 'path', 'href']);
const REQUEST_METHODS = new Set(['get', 'header', 'param']);
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'use', 'head', 'options', 'route', 'createServer', 'on']);
const BROWSER_SOURCES = [['location'], ['window', 'location'], ['document', 'location'], ['document', 'URL'], ['document', 'documentURI'], ['document', 'referrer'], ['document', 'cookie'], ['window', 'name'], ['process', 'argv']];

export interface TaintOptions {
  /** Callee names (dotted or last segment) whose result is clean. */
  sanitisers?: readonly string[];
  /** Extra sanitiser test, for callees a name list cannot express (schema.parse but not JSON.parse). */
  isSanitiser?: (call: ESTree.CallExpression | ESTree.NewExpression) => boolean;
  /** Whether `+x`, `-x` and arithmetic keep taint (true for input validation, false for injection). */
  numericPropagates?: boolean;
}

function matchesSanitiser(call: ESTree.CallExpression | ESTree.NewExpression, sanitisers: readonly string[] | undefined): boolean {
  if (!sanitisers || !sanitisers.length) return false;
  const full = calleeName(call.callee);
  const last = calleeLast(call.callee);
  return sanitisers.some((name) => name === full || (!name.includes('.') && name === last));
}

/** `ids.map(() => '?').join(', ')` and `Array(n).fill('?').join()`: placeholder lists. */
function isPlaceholderList(call: ESTree.CallExpression, context: Context, seen: Set<Scope.Variable>): boolean {
  if (calleeLast(call.callee) !== 'join' || call.callee.type !== 'MemberExpression') return false;
  const inner = call.callee.object;
  if (inner.type !== 'CallExpression') return false;
  const method = calleeLast(inner.callee);
  const arg = inner.arguments[0];
  if (method === 'map' && arg && (arg.type === 'ArrowFunctionExpression' || arg.type === 'FunctionExpression')) {
    return arg.body.type !== 'BlockStatement' && isStaticNode(arg.body, context, {}, seen);
  }
  return method === 'fill' && !!arg && arg.type !== 'SpreadElement' && isStaticNode(arg, context, {}, seen);
}

export function isStatic(node: ESTree.Node, context: Context, options: TaintOptions = {}): boolean {
  return isStaticNode(node, context, options, new Set());
}

function isStaticNode(node: ESTree.Node, context: Context, options: TaintOptions, seen: Set<Scope.Variable>): boolean {
  const again = (child: ESTree.Node): boolean => isStaticNode(child, context, options, seen);
  switch (node.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return node.expressions.every(again);
    case 'BinaryExpression':
      return (node.left.type === 'PrivateIdentifier' || again(node.left)) && again(node.right);
    case 'LogicalExpression':
      return again(node.left) && again(node.right);
    case 'UnaryExpression':
      return true; // numbers, booleans, typeof strings: nothing an attacker can shape into syntax
    case 'ConditionalExpression':
      return again(node.consequent) && again(node.alternate);
    case 'ArrayExpression':
      return node.elements.every((element) => element !== null && element.type !== 'SpreadElement' && again(element));
    case 'AwaitExpression':
      return again(node.argument);
    case 'Identifier': {
      if (node.name === 'undefined' || node.name === '__dirname' || node.name === '__filename') return true;
      const variable = findVariable(context, node, node.name);
      if (!variable || seen.has(variable) || parameterOf(variable)) return false;
      const writes = writesOf(variable);
      if (!writes.length) return false;
      seen.add(variable);
      const result = writes.every(again);
      seen.delete(variable);
      return result;
    }
    case 'MemberExpression': {
      const chain = memberChain(node);
      if (chain && chain.root.type === 'Identifier' && chain.root.name === 'process' && chain.path[0] === 'env') return true;
      if (propertyName(node) === 'length' && !isWholeInputObject(node.object, context)) return true;
      // CONSTANTS.key / TABLE[input] where the object literal holds only static values: the
      // result is one of them (or an inherited Object member), never attacker text.
      const table = lookupTable(context, node.object);
      if (!table) return false;
      const key = propertyName(node);
      if (key !== null && !node.computed) {
        const value = objectProperty(table, key);
        return !!value && again(value);
      }
      return node.computed && table.properties.every((property) => property.type === 'Property' && again(property.value));
    }
    case 'CallExpression': {
      if (matchesSanitiser(node, options.sanitisers)) return true;
      const name = calleeName(node.callee);
      if (TRUSTED_CALLS.has(name)) return true;
      if (isPlaceholderList(node, context, seen)) return true;
      const argsStatic = node.arguments.every((arg) => arg.type !== 'SpreadElement' && again(arg));
      if (PURE_CALLS.has(name)) return argsStatic;
      // 'abc'.toUpperCase(), CONSTANT.trim(): methods of static values with static arguments.
      if (node.callee.type === 'MemberExpression' && node.callee.object.type !== 'Super') return argsStatic && again(node.callee.object);
      return false;
    }
    default:
      return false;
  }
}

function startsWithPath(path: string[], prefix: string[]): boolean {
  return prefix.every((part, i) => path[i] === part);
}

/** Whether an identifier names an HTTP request object (`req`, or a route handler's first parameter). */
export function isRequestRoot(node: ESTree.Identifier, context: Context): boolean {
  if (REQUEST_NAMES.has(node.name)) return true;
  const variable = findVariable(context, node, node.name);
  const param = variable ? parameterOf(variable) : null;
  return !!param && param.index === 0 && isRouteHandler(param.fn);
}

/** Whether an identifier names an HTTP response object (`res`, or a handler's second parameter). */
export function isResponseRoot(node: ESTree.Identifier, context: Context): boolean {
  if (RESPONSE_NAMES.has(node.name)) return true;
  const variable = findVariable(context, node, node.name);
  const param = variable ? parameterOf(variable) : null;
  return !!param && param.index === 1 && isRouteHandler(param.fn);
}

function isRouteHandler(fn: ESTree.Function): boolean {
  const parent = (fn as ESTree.Function & { parent?: ESTree.Node }).parent;
  if (!parent || parent.type !== 'CallExpression') return false;
  return ROUTE_METHODS.has(calleeLast(parent.callee));
}

/** A member expression that reads attacker-controlled input directly. */
function isSourceMember(node: ESTree.MemberExpression, context: Context): boolean {
  const chain = memberChain(node);
  if (!chain) return false;
  const { root, path } = chain;
  if (root.type !== 'Identifier') return false;
  if (root.name === 'ctx' && KOA_PROPS.has(path[0])) return true;
  if (root.name === 'event' && LAMBDA_PROPS.has(path[0])) return true;
  if (REQUEST_PROPS.has(path[0]) && isRequestRoot(root, context)) return true;
  if (!findVariable(context, root, root.name)) {
    const full = [root.name, ...path];
    if (BROWSER_SOURCES.some((source) => startsWithPath(full, source))) return true;
  }
  return false;
}

function isSourceCall(node: ESTree.CallExpression, context: Context): boolean {
  const callee = node.callee;
  if (callee.type === 'Identifier') return callee.name === 'prompt' && !findVariable(context, callee, 'prompt');
  if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier') return false;
  const method = propertyName(callee) ?? '';
  return REQUEST_METHODS.has(method) && isRequestRoot(callee.object, context);
}

export function isRequestDerived(node: ESTree.Node, context: Context, options: TaintOptions = {}): boolean {
  return derived(node, context, options, new Set());
}

function derived(node: ESTree.Node, context: Context, options: TaintOptions, seen: Set<Scope.Variable>): boolean {
  const again = (child: ESTree.Node | null | undefined): boolean => !!child && derived(child, context, options, seen);
  switch (node.type) {
    case 'MemberExpression':
      if (propertyName(node) === 'length' && !isWholeInputObject(node.object, context)) return false;
      return isSourceMember(node, context) || again(node.object);
    case 'ChainExpression':
      return again(node.expression);
    case 'Identifier': {
      const variable = findVariable(context, node, node.name);
      if (!variable || seen.has(variable)) return false;
      seen.add(variable);
      const result = writesOf(variable).some(again);
      seen.delete(variable);
      return result;
    }
    case 'CallExpression':
    case 'NewExpression': {
      if (matchesSanitiser(node, options.sanitisers) || options.isSanitiser?.(node)) return false;
      if (node.type === 'CallExpression' && isSourceCall(node, context)) return true;
      const last = calleeLast(node.callee);
      if (BOOLEAN_CALLS.has(last)) return false;
      if (node.callee.type === 'MemberExpression' && again(node.callee.object)) return true;
      // The result of I/O keyed by input (a file's contents, a row) is stored data, not the input.
      if (IO_CALLS.has(last)) return false;
      return node.arguments.some((arg) => again(arg.type === 'SpreadElement' ? arg.argument : arg));
    }
    case 'TemplateLiteral':
      return node.expressions.some(again);
    case 'TaggedTemplateExpression':
      return node.quasi.expressions.some(again);
    case 'BinaryExpression':
      if (node.operator !== '+' && !options.numericPropagates) return false;
      return (node.left.type !== 'PrivateIdentifier' && again(node.left)) || again(node.right);
    case 'LogicalExpression':
      return again(node.left) || again(node.right);
    case 'ConditionalExpression':
      return again(node.consequent) || again(node.alternate);
    case 'UnaryExpression':
      return !!options.numericPropagates && (node.operator === '+' || node.operator === '-') && again(node.argument);
    case 'AwaitExpression':
      return again(node.argument);
    case 'SequenceExpression':
      return again(node.expressions[node.expressions.length - 1]);
    case 'ArrayExpression':
      return node.elements.some((element) => again(element && element.type === 'SpreadElement' ? element.argument : element));
    case 'ObjectExpression':
      return node.properties.some((property) => (property.type === 'SpreadElement' ? again(property.argument) : again(property.value)));
    default:
      return false;
  }
}

/** `req.query`, `req.body`, `ctx.request.body`: the whole parsed input object, not one field. */
export function isWholeInputObject(node: ESTree.Node, context: Context): boolean {
  if (node.type !== 'MemberExpression') return false;
  const chain = memberChain(node);
  if (!chain || chain.root.type !== 'Identifier') return false;
  if (chain.root.name === 'ctx') return chain.path.length <= 2 && KOA_PROPS.has(chain.path[0]) && chain.path[chain.path.length - 1] !== 'url';
  if (chain.root.name === 'event') return chain.path.length === 1 && LAMBDA_PROPS.has(chain.path[0]) && chain.path[0] !== 'body';
  return chain.path.length === 1 && ['query', 'body', 'payload', 'params', 'cookies', 'headers'].includes(chain.path[0]) && isRequestRoot(chain.root, context);
}
