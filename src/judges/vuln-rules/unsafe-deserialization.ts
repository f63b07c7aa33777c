// CWE-502 rule: data turned back into objects by something that can run code: node-serialize
// unserialize(), js-yaml unsafeLoad / load with a full schema, v8.deserialize of request input,
// and eval / new Function / vm.run* on non-constant text (the "parse by evaluating" idiom; strictly
// that is also CWE-95, and the paper-style tasks present it as deserialisation). Not flagged:
// JSON.parse, js-yaml load() with its default (safe since js-yaml 4) schema.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calleeLast, calleeName, findVariable, objectProperty, type Context } from './ast.js';
import { moduleCall } from './modules.js';
import { isRequestDerived, isStatic } from './taint.js';

const UNSERIALIZE = new Set(['unserialize', 'deserialize']);
const VM_RUNNERS = new Set(['runInNewContext', 'runInThisContext', 'runInContext', 'compileFunction', 'Script']);
const CODE_DESERIALISERS = new Set(['node-serialize', 'serialize-to-js', 'funcster', 'cryo']);
const UNSAFE_SCHEMA = /FULL|unsafe|js\/function/i;

function dynamic(node: ESTree.Node | undefined, context: Context): node is ESTree.Expression {
  return !!node && node.type !== 'SpreadElement' && !isStatic(node, context);
}

export const unsafeDeserializationRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'untrusted data deserialised with a code-executing deserialiser or evaluated (CWE-502)' },
    schema: [],
  },
  create(context) {
    const check = (node: ESTree.CallExpression | ESTree.NewExpression): void => {
      const [first] = node.arguments;
      const callee = node.callee;
      const last = calleeLast(callee);
      const target = moduleCall(node, context);
      // eval / Function: global, not shadowed by a local binding.
      if (callee.type === 'Identifier' && (last === 'eval' || last === 'Function') && !findVariable(context, callee, last)) {
        if (node.arguments.some((arg) => dynamic(arg, context))) context.report({ node, message: `${last}() on non-constant text` });
        return;
      }
      if (target && target.module === 'vm' && VM_RUNNERS.has(target.name)) {
        if (dynamic(first, context)) context.report({ node, message: `vm.${target.name}() on non-constant text` });
        return;
      }
      if (target && target.module === 'v8' && target.name === 'deserialize') {
        if (first && first.type !== 'SpreadElement' && isRequestDerived(first, context)) context.report({ node, message: 'v8.deserialize() of request input' });
        return;
      }
      if (target && (target.module === 'js-yaml' || target.module === 'yaml')) {
        // The options object is the 2nd argument of load() and the 3rd of loadAll(text, iterator, options).
        const schema = node.arguments.map((arg) => objectProperty(arg as ESTree.Node, 'schema')).find(Boolean) ?? null;
        const unsafe = target.name === 'unsafeLoad' || target.name === 'unsafeLoadAll' || (!!schema && UNSAFE_SCHEMA.test(context.sourceCode.getText(schema)));
        if (unsafe && dynamic(first, context)) context.report({ node, message: `yaml ${target.name}() with a code-executing schema on non-constant input` });
        return;
      }
      // node-serialize / serialize-to-js / funcster style: X.unserialize(data), unserialize(data).
      // `deserialize` is a common method name, so it counts only through one of those modules.
      const known = !!target && CODE_DESERIALISERS.has(target.module);
      if (UNSERIALIZE.has(last) && (known || (!target && last === 'unserialize')) && !calleeName(callee).startsWith('v8.') && dynamic(first, context)) {
        context.report({ node, message: `${last}() of non-constant data with a code-executing deserialiser` });
      }
    };
    return { CallExpression: check, NewExpression: check };
  },
};
