// CWE-89 rule: SQL text built by string concatenation or an untagged template literal with a
// value that is not static (not a literal, constant, placeholder list or numeric/escape call).
// Flagged where the string is built, whatever it is later passed to, because that is where the
// fix (bound parameters) belongs. Not a taint rule: any non-constant value counts, as CodeQL's
// js/sql-injection would after tracing; tagged templates (sql`...`) are treated as safe.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calleeLast, findVariable, interpolatedParts, literalText, writesOf, type AstNode } from './ast.js';
import { NUMERIC_SANITISERS, isStatic } from './taint.js';

const SQL_SANITISERS = [...NUMERIC_SANITISERS, 'escape', 'escapeId', 'escapeLiteral', 'escapeIdentifier', 'mysql.format', 'SqlString.format', 'sqlstring.format', 'pgFormat', 'format.literal'];

/** Uppercase keywords, or lowercase ones in a shape English prose does not take. */
const SQL_PATTERNS = [
  /\bSELECT\b[\s\S]*\bFROM\b/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\b[\s\S]*\bSET\b/,
  /\bDELETE\s+FROM\b/,
  /\bWHERE\b[\s\S]*(=|<|>|\bLIKE\b|\bIN\b)/,
  /\bselect\s+(\*|[\w.]+(\s*,\s*[\w.]+)*)\s+from\s+\w+/i,
  /\binsert\s+into\s+\w+/i,
  /\bupdate\s+\w+\s+set\s+\w+\s*=/i,
  /\bdelete\s+from\s+\w+/i,
  /\bwhere\s+[\w.]+\s*(=|<|>|like\b|in\s*\()/i,
];
const RAW_METHODS = new Set(['raw', 'whereRaw', 'orderByRaw', 'havingRaw', 'joinRaw', 'unsafe']);

export function looksLikeSql(text: string): boolean {
  return SQL_PATTERNS.some((pattern) => pattern.test(text));
}

function isTopOfConcat(node: AstNode): boolean {
  const parent = node.parent;
  return !(parent && parent.type === 'BinaryExpression' && parent.operator === '+');
}

export const sqlInjectionRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'SQL text built from non-constant values (CWE-89); use bound parameters' },
    schema: [],
  },
  create(context) {
    const dynamicParts = (node: ESTree.Node): boolean =>
      interpolatedParts(node).some((part) => !isStatic(part, context, { sanitisers: SQL_SANITISERS }));

    const check = (node: ESTree.TemplateLiteral | ESTree.BinaryExpression): void => {
      if (!looksLikeSql(literalText(node)) || !dynamicParts(node)) return;
      context.report({ node, message: 'SQL statement built from a non-constant value; pass it as a bound parameter' });
    };

    return {
      TemplateLiteral(node) {
        const parent = (node as AstNode).parent;
        if (parent && parent.type === 'TaggedTemplateExpression') return;
        if (isTopOfConcat(node as AstNode)) check(node);
      },
      BinaryExpression(node) {
        if (node.operator === '+' && isTopOfConcat(node as AstNode)) check(node);
      },
      // sql += " AND name = '" + name + "'": the SQL keywords are in the variable's first value.
      AssignmentExpression(node) {
        if (node.operator !== '+=' || node.left.type !== 'Identifier') return;
        const variable = findVariable(context, node.left, node.left.name);
        if (!variable) return;
        const sqlBefore = writesOf(variable).some((write) => write !== node.right && looksLikeSql(literalText(write)));
        if (sqlBefore && !isStatic(node.right, context, { sanitisers: SQL_SANITISERS })) {
          context.report({ node, message: 'SQL statement extended with a non-constant value; pass it as a bound parameter' });
        }
      },
      // knex.raw(...) / whereRaw(...) / sql.unsafe(...) take raw SQL whatever it looks like.
      CallExpression(node) {
        if (!RAW_METHODS.has(calleeLast(node.callee)) || node.callee.type !== 'MemberExpression') return;
        const first = node.arguments[0];
        if (first && first.type !== 'SpreadElement' && !isStatic(first, context, { sanitisers: SQL_SANITISERS })) {
          context.report({ node, message: 'raw SQL built from a non-constant value; use bindings' });
        }
      },
    };
  },
};
