// CWE-20 rule, defined narrowly so it can be measured: request numbers/keys used as an index,
// a size or a loop bound with no validation in the handler (exact definition on
// inputValidationRule). Not detected: missing validation of strings that flow elsewhere (those
// are the injection CWEs) or of values used in ways not listed there.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import { calleeLast, calleeName, findVariable, lookupTable, outermostFunction, walk, writesOf, type AstNode, type Context } from './ast.js';
import { isRequestDerived, type TaintOptions } from './taint.js';

const CLAMPS = ['Math.min', 'Math.max', 'clamp', 'safeParse', 'validate', 'validateSync', 'attempt'];
const CHECKERS = new Set([
  'isInteger', 'isSafeInteger', 'isFinite', 'isNaN', 'hasOwnProperty', 'hasOwn', 'has', 'includes', 'test', 'validate',
  'safeParse', 'parse', 'assert', 'ok', 'min', 'max', 'clamp', 'isValid', 'isInt', 'isNumeric', 'indexOf',
]);
const SIZE_CALLS = new Set(['Buffer.alloc', 'Buffer.allocUnsafe', 'Buffer.allocUnsafeSlow', 'Array']);
const SIZE_METHODS = new Set(['repeat', 'padStart', 'padEnd']);
const TYPED_ARRAYS = /^(Array|(Ui|I)nt(8|16|32)Array|Uint8ClampedArray|Float(32|64)Array|Big(Ui|I)nt64Array|ArrayBuffer)$/;
const TEST_KEYS: Record<string, string> = { IfStatement: 'test', ConditionalExpression: 'test', WhileStatement: 'test', DoWhileStatement: 'test', SwitchStatement: 'discriminant' };

const TAINT: TaintOptions = {
  sanitisers: CLAMPS,
  numericPropagates: true,
  // schema.parse(req.body) validates; JSON.parse(req.body.x) does not.
  isSanitiser: (call) => calleeLast(call.callee) === 'parse' && calleeName(call.callee) !== 'JSON.parse' && call.callee.type === 'MemberExpression',
};

function isPropertyKey(node: AstNode): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === 'MemberExpression') return !parent.computed && parent.property === node;
  return parent.type === 'Property' && !parent.computed && parent.key === node && parent.value !== node;
}

/** Variables and source texts a tainted expression is built from (following tainted writes). */
function taintRoots(context: Context, expression: ESTree.Node): { variables: Set<Scope.Variable>; texts: Set<string> } {
  const variables = new Set<Scope.Variable>();
  const texts = new Set<string>();
  const visit = (root: ESTree.Node): void => {
    walk(context, root, (node) => {
      if (node.type === 'Identifier' && !isPropertyKey(node)) {
        const variable = findVariable(context, node, node.name);
        if (variable && !variables.has(variable) && isRequestDerived(node, context, TAINT)) {
          variables.add(variable);
          for (const write of writesOf(variable)) visit(write);
        }
      } else if (node.type === 'MemberExpression' && isRequestDerived(node, context, TAINT)) {
        texts.add(context.sourceCode.getText(node));
      }
    });
  };
  visit(expression);
  return { variables, texts };
}

/** Whether a use of the value sits in a validating position (not counting the sink itself). */
function isValidatingUse(node: AstNode, sink: ESTree.Node): boolean {
  let child: AstNode = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (parent === sink) return false;
    const testKey = TEST_KEYS[parent.type];
    if (testKey && (parent as unknown as Record<string, unknown>)[testKey] === child) return true;
    if (parent.type === 'BinaryExpression' && parent.operator === 'in') return true;
    if (parent.type === 'BinaryExpression' && ['<', '<=', '>', '>='].includes(parent.operator)) {
      const grand = parent.parent;
      if (grand && grand.type === 'LogicalExpression') return true;
    }
    if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && CHECKERS.has(calleeLast(parent.callee))) return true;
    if (parent.type === 'MemberExpression' && parent.computed && parent.property === child) return false;
    if (parent.type.endsWith('Statement') || parent.type === 'VariableDeclarator' || parent.type.startsWith('Function') || parent.type === 'ArrowFunctionExpression') return false;
  }
  return false;
}

function isValidated(context: Context, expression: ESTree.Node, sink: ESTree.Node): boolean {
  const { variables, texts } = taintRoots(context, expression);
  for (const variable of variables) {
    for (const reference of variable.references) {
      if (reference.isRead() && isValidatingUse(reference.identifier as AstNode, sink)) return true;
    }
  }
  if (!texts.size) return false;
  let found = false;
  walk(context, outermostFunction(sink as AstNode), (node) => {
    if (!found && node.type === 'MemberExpression' && texts.has(context.sourceCode.getText(node)) && isValidatingUse(node, sink)) found = true;
  });
  return found;
}

/**
 * A request-derived value (directly or after Number/parseInt/unary-plus/arithmetic) is used as
 *   (a) a computed index `items[v]` / `table[v] = x` (reads of constant lookup tables excepted),
 *   (b) a size: Buffer.alloc*(v), new Array(v) / Array(v), typed-array lengths, 'x'.repeat(v),
 *       padStart/padEnd(v), Array.from({ length: v }),
 *   (c) a for-loop bound (`i < v`),
 * and nowhere in the enclosing handler is that value (or a variable holding it) validated: used in
 * an if/?:/while/switch test, an `in` check, a range comparison inside && / ||, or passed to a
 * checker (Number.isInteger, isNaN/isFinite, hasOwnProperty/Object.hasOwn/has/includes, regex
 * .test, schema validate/safeParse/parse, assert), or clamped with Math.min/Math.max.
 */
export const inputValidationRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'request value used as an index, size or loop bound without validation (CWE-20)' },
    schema: [],
  },
  create(context) {
    const check = (value: ESTree.Node | null | undefined, sink: ESTree.Node, what: string): void => {
      if (!value || value.type === 'SpreadElement' || !isRequestDerived(value, context, TAINT)) return;
      if (isValidated(context, value, sink)) return;
      context.report({ node: sink, message: `request value used as ${what} without validation` });
    };
    return {
      MemberExpression(node) {
        if (!node.computed || node.property.type === 'Literal' || node.property.type === 'PrivateIdentifier') return;
        // Reading a constant lookup table (`LABELS[input] || 'default'`) yields a table value or an
        // inherited member, never an out-of-range access; writes to it still count.
        const parent = (node as AstNode).parent;
        const written = parent && ((parent.type === 'AssignmentExpression' && parent.left === node) || parent.type === 'UpdateExpression');
        if (!written && lookupTable(context, node.object)) return;
        check(node.property, node, 'an index');
      },
      CallExpression(node) {
        const name = calleeName(node.callee);
        const last = calleeLast(node.callee);
        if (SIZE_CALLS.has(name) || (node.callee.type === 'MemberExpression' && SIZE_METHODS.has(last))) {
          check(node.arguments[0], node, 'a size');
        } else if (name === 'Array.from' && node.arguments[0]?.type === 'ObjectExpression') {
          const length = node.arguments[0].properties.find((p) => p.type === 'Property' && p.key.type === 'Identifier' && p.key.name === 'length');
          if (length && length.type === 'Property') check(length.value, node, 'a size');
        }
      },
      NewExpression(node) {
        if (node.callee.type === 'Identifier' && TYPED_ARRAYS.test(node.callee.name) && node.arguments.length === 1) check(node.arguments[0], node, 'a size');
      },
      ForStatement(node) {
        const test = node.test;
        if (!test || test.type !== 'BinaryExpression' || !['<', '<=', '>', '>='].includes(test.operator) || test.left.type === 'PrivateIdentifier') return;
        check(test.right, test, 'a loop bound');
        check(test.left, test, 'a loop bound');
      },
    };
  },
};
