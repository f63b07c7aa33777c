// CWE-79 rule, server side: request input, or HTML markup built from any unescaped non-constant
// value (stored XSS), written into an HTML response (res.send/write/end; Koa's ctx.body).
// Not flagged: objects/arrays (sent as JSON), res.json, handlers that set a non-HTML content
// type, escaped values. Browser DOM sinks are left to eslint-plugin-no-unsanitized (vuln-oracle.ts).
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calleeLast, calleeName, interpolatedParts, literalText, memberChain, outermostFunction, walk, type AstNode, type Context } from './ast.js';
import { NUMERIC_SANITISERS, isRequestDerived, isResponseRoot, isStatic, isWholeInputObject } from './taint.js';

const HTML_ESCAPERS = [
  ...NUMERIC_SANITISERS, 'escapeHtml', 'escapeHTML', 'escape', 'encode', 'he.encode', 'he.escape', 'sanitize', 'DOMPurify.sanitize',
  'sanitizeHtml', 'xss', 'filterXSS', 'htmlEscape', 'encodeHTML', 'encodeURIComponent', 'JSON.stringify', 'inHTMLData', 'stripTags',
];
const HTML_TAG = /<\/?[a-z][a-z0-9]*[\s>/]/i;
const SEND_METHODS = new Set(['send', 'write', 'end']);
const NON_HTML = /json|text\/plain|csv|octet-stream|javascript|xml|^txt$|^text$/i;

/** res.type('text/plain'), res.set/setHeader/header/writeHead with a non-HTML content type. */
function setsNonHtmlType(context: Context, root: ESTree.Node): boolean {
  let found = false;
  walk(context, root, (node) => {
    if (found) return;
    // Koa: ctx.type = 'text/plain' / ctx.response.type = 'json'.
    if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && calleeLast(node.left) === 'type') {
      if (node.right.type === 'Literal' && NON_HTML.test(String(node.right.value))) found = true;
      return;
    }
    if (node.type !== 'CallExpression') return;
    const method = calleeLast(node.callee);
    if (!['type', 'contentType', 'set', 'setHeader', 'header', 'writeHead'].includes(method)) return;
    for (const arg of node.arguments) {
      const text = arg.type === 'Literal' && typeof arg.value === 'string' ? arg.value : arg.type === 'ObjectExpression' ? stringValues(arg) : '';
      if (NON_HTML.test(text)) found = true;
    }
  });
  return found;
}

/** Values Express/Koa serialise as JSON: object and array literals, arrays built from them. */
function isJsonShaped(node: ESTree.Node): boolean {
  if (node.type === 'ObjectExpression' || node.type === 'ArrayExpression') return true;
  if (node.type === 'NewExpression') return node.callee.type === 'Identifier' && node.callee.name === 'Array';
  if (node.type !== 'CallExpression') return false;
  if (calleeName(node.callee) === 'Array.from' || calleeName(node.callee) === 'Array.of') return true;
  return node.callee.type === 'MemberExpression' && ['fill', 'map', 'filter', 'slice', 'concat'].includes(calleeLast(node.callee)) && isJsonShaped(node.callee.object);
}

function stringValues(node: ESTree.ObjectExpression): string {
  return node.properties
    .map((property) => (property.type === 'Property' && property.value.type === 'Literal' ? String(property.value.value) : ''))
    .join(' ');
}

export const reflectedXssRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'request input written into an HTML response without escaping (CWE-79)' },
    schema: [],
  },
  create(context) {
    // Request input, or HTML markup assembled from any value not escaped (stored XSS: rows
    // from a database are attacker-written too, so the markup must escape whatever it embeds).
    const unescaped = (node: ESTree.Node): boolean => {
      if (isJsonShaped(node) || isWholeInputObject(node, context)) return false;
      if (isRequestDerived(node, context, { sanitisers: HTML_ESCAPERS })) return true;
      return HTML_TAG.test(literalText(node)) && interpolatedParts(node).some((part) => !isStatic(part, context, { sanitisers: HTML_ESCAPERS }));
    };

    const report = (node: ESTree.Node, what: string): void => {
      if (setsNonHtmlType(context, outermostFunction(node as AstNode))) return;
      context.report({ node, message: `${what} writes request input into an HTML response without escaping` });
    };

    return {
      CallExpression(node) {
        const method = calleeLast(node.callee);
        if (!SEND_METHODS.has(method) || node.callee.type !== 'MemberExpression') return;
        // res.send(x), res.status(200).send(x): the chain must start at a response object.
        let object: ESTree.Node = node.callee.object;
        while (object.type === 'CallExpression' && object.callee.type === 'MemberExpression') object = object.callee.object;
        if (object.type !== 'Identifier' || !isResponseRoot(object, context)) return;
        const first = node.arguments[0];
        if (first && first.type !== 'SpreadElement' && unescaped(first)) report(node, `res.${method}()`);
      },
      AssignmentExpression(node) {
        if (node.left.type !== 'MemberExpression') return;
        const chain = memberChain(node.left);
        if (!chain || chain.root.type !== 'Identifier' || chain.root.name !== 'ctx' || chain.path.join('.') !== 'body') return;
        if (unescaped(node.right)) report(node, 'ctx.body =');
      },
    };
  },
};
