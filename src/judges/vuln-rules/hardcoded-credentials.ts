// CWE-798 rule: credentials written into source (string literals bound to credential names,
// compared with them, used as signing keys, in connection URLs, auth headers or well-known key
// formats). The exact definition is on hardcodedCredentialsRule. Not flagged: values read from
// process.env or files, names like passwordHint or tokenHeader.
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import { calleeLast, calleeName, identifierWords, propertyName } from './ast.js';

const SECRET_LAST_WORDS = new Set(['password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'token', 'credential', 'credentials', 'apikey', 'secretkey', 'privatekey']);
const KEY_QUALIFIERS = new Set(['api', 'secret', 'private', 'access', 'signing', 'encryption', 'jwt', 'session', 'client', 'master', 'auth', 'hmac']);
const KEY_SINKS: Record<string, number> = { sign: 1, verify: 1, createHmac: 1, createCipheriv: 1, createDecipheriv: 1 };
const URL_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:[^@/\s]+@/i;
const AUTH_HEADER = /^(Bearer|Basic|Token)\s+\S{8,}/;

export function isCredentialName(name: string): boolean {
  const words = identifierWords(name);
  const last = words[words.length - 1];
  if (!last) return false;
  if (SECRET_LAST_WORDS.has(last)) return true;
  return last === 'key' && words.length > 1 && KEY_QUALIFIERS.has(words[words.length - 2]);
}

/** Schema/type words that sit where a credential would (`{ password: 'string' }`). */
const TYPE_WORDS = new Set(['string', 'number', 'boolean', 'required', 'optional', 'text', 'hidden', 'password']);

/** Prose (a validation message, a label) rather than a secret: 3+ words or message words. */
const PROSE = /^\S+(\s+\S+){2,}|\b(required|invalid|must|please|enter|characters|incorrect|wrong)\b/i;
/** Well-known key formats (Stripe, AWS, GitHub, Slack, Google) that are secrets wherever they sit. */
const KNOWN_KEY_FORMAT = /^(sk_live_|sk_test_|rk_live_|AKIA[0-9A-Z]{16}$|ghp_[A-Za-z0-9]{20,}|github_pat_|xox[abpr]-|AIza[0-9A-Za-z_-]{30,})/;

function isSecretText(text: string): boolean {
  return text.trim().length >= 4 && !PROSE.test(text) && !TYPE_WORDS.has(text.toLowerCase());
}

function isSecretLiteral(node: ESTree.Node | null | undefined): node is ESTree.Literal {
  return !!node && node.type === 'Literal' && typeof node.value === 'string' && isSecretText(node.value);
}

/** The literal a value falls back to: 'x', process.env.X || 'x', process.env.X ?? 'x'. */
function literalValue(node: ESTree.Node | null | undefined): ESTree.Literal | null {
  if (!node) return null;
  if (isSecretLiteral(node)) return node;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
    const text = node.quasis[0]?.value.cooked ?? '';
    return isSecretText(text) ? ({ type: 'Literal', value: text, raw: text } as ESTree.Literal) : null;
  }
  if (node.type === 'LogicalExpression' && (node.operator === '||' || node.operator === '??')) return literalValue(node.right);
  return null;
}

function targetName(node: ESTree.Node): string | null {
  if (node.type === 'Identifier') return node.name;
  if (node.type === 'MemberExpression') return propertyName(node);
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  return null;
}

/**
 * Flags a string literal (4+ characters, not prose or a type word) that is assigned, defaulted or
 * `||`-fallen-back into a credential-named variable/property/parameter (last word password,
 * passwd, pwd, pass, passphrase, secret, token, credential(s), or `key` after
 * api/secret/private/access/signing/encryption/jwt/session/client/master/auth/hmac), compared
 * against one, passed as the key of jwt.sign/verify or crypto.createHmac/createCipheriv, embedded
 * as user:password@ in a connection URL or as a Bearer/Basic header, or in a well-known API-key
 * format (sk_live_, AKIA..., ghp_...) anywhere.
 */
export const hardcodedCredentialsRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'hard-coded password, secret, token or key (CWE-798)' },
    schema: [],
  },
  create(context) {
    const flag = (node: ESTree.Node, name: string): void => {
      context.report({ node, message: `hard-coded credential in '${name}'` });
    };
    const checkBinding = (target: ESTree.Node, value: ESTree.Node | null | undefined, node: ESTree.Node): void => {
      const name = targetName(target);
      if (name && isCredentialName(name) && literalValue(value)) flag(node, name);
    };
    return {
      VariableDeclarator(node) {
        if (node.id.type === 'Identifier') checkBinding(node.id, node.init, node);
      },
      AssignmentExpression(node) {
        checkBinding(node.left, node.right, node);
      },
      AssignmentPattern(node) {
        checkBinding(node.left, node.right, node);
      },
      Property(node) {
        if (node.value.type !== 'AssignmentPattern') checkBinding(node.key, node.value, node);
      },
      PropertyDefinition(node) {
        checkBinding(node.key, node.value, node);
      },
      BinaryExpression(node) {
        if (!['===', '==', '!==', '!='].includes(node.operator) || node.left.type === 'PrivateIdentifier') return;
        for (const [side, other] of [[node.left, node.right], [node.right, node.left]] as const) {
          const name = targetName(side);
          if (side.type !== 'Literal' && name && isCredentialName(name) && isSecretLiteral(other)) flag(node, name);
        }
      },
      CallExpression(node) {
        const index = KEY_SINKS[calleeLast(node.callee)];
        const owner = calleeName(node.callee).split('.')[0];
        const relevant = index !== undefined && (['jwt', 'jsonwebtoken', 'crypto'].includes(owner) || calleeLast(node.callee).startsWith('create'));
        if (relevant && literalValue(node.arguments[index] as ESTree.Node | undefined)) flag(node, `${calleeName(node.callee)} key`);
      },
      Literal(node) {
        if (typeof node.value !== 'string') return;
        if (KNOWN_KEY_FORMAT.test(node.value)) flag(node, 'API key literal');
        else if (URL_CREDENTIALS.test(node.value) && !/:\/\/[^:]+:(\*+|<[^>]*>|\$\{)/.test(node.value)) flag(node, 'connection URL');
        else if (AUTH_HEADER.test(node.value)) flag(node, 'authorization header');
      },
    };
  },
};
