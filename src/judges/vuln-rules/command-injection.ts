// CWE-78 rule: a shell command line built from a non-constant value. Covers child_process
// exec/execSync (always a shell), spawn/execFile family with `shell: true`, and `sh -c <dynamic>`.
// eslint-plugin-security's detect-child-process covers only exec() through a resolved import;
// this adds execSync, promisified exec, shell options and unbound snippets. Not flagged: the
// argv forms (execFile('git', ['log', branch])), which never reach a shell.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { objectProperty } from './ast.js';
import { moduleCall } from './modules.js';
import { NUMERIC_SANITISERS, isStatic } from './taint.js';

const SHELL_SANITISERS = [...NUMERIC_SANITISERS, 'quote', 'shellQuote.quote', 'shescape.quote', 'escapeShellArg', 'shellEscape', 'shellescape'];
const SHELL_STRING_CALLS = new Set(['exec', 'execSync']);
const ARGV_CALLS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);
const SHELLS = new Set(['sh', 'bash', '/bin/sh', '/bin/bash', 'zsh', 'cmd', 'cmd.exe', 'powershell', 'pwsh']);

export const commandInjectionRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'shell command built from non-constant values (CWE-78); use execFile/spawn with an argument array' },
    schema: [],
  },
  create(context) {
    const dynamic = (node: ESTree.Node | undefined): boolean =>
      !!node && node.type !== 'SpreadElement' && !isStatic(node, context, { sanitisers: SHELL_SANITISERS });

    return {
      CallExpression(node) {
        const target = moduleCall(node, context);
        if (!target || target.module !== 'child_process') return;
        const [command, second, third] = node.arguments;
        if (SHELL_STRING_CALLS.has(target.name)) {
          if (dynamic(command)) context.report({ node, message: `child_process.${target.name}() runs a shell command built from a non-constant value` });
          return;
        }
        if (!ARGV_CALLS.has(target.name)) return;
        const args = second && second.type === 'ArrayExpression' ? second : null;
        const options = args ? third : second;
        const shellOption = objectProperty(options as ESTree.Node | undefined, 'shell');
        const usesShell = !!shellOption && !(shellOption.type === 'Literal' && (shellOption.value === false || shellOption.value === null));
        const argDynamic = !!args && args.elements.some((element) => !!element && dynamic(element));
        if (usesShell && (dynamic(command) || argDynamic)) {
          context.report({ node, message: `child_process.${target.name}() with shell: true and a non-constant command or argument` });
          return;
        }
        const shellName = command && command.type === 'Literal' && typeof command.value === 'string' ? command.value : '';
        const hasDashC = !!args && args.elements.some((element) => !!element && element.type === 'Literal' && (element.value === '-c' || element.value === '/c' || element.value === '-Command'));
        if (SHELLS.has(shellName) && hasDashC && argDynamic) {
          context.report({ node, message: `${shellName} -c with a non-constant script` });
        }
      },
    };
  },
};
