// Measures the vulnerability oracle on hand-labelled snippets (test/fixtures/vuln-labelled: a
// development set the rules were tuned on, and holdout/, written afterwards) and checks its
// contract: CWE mapping, parse failures, script fallback. Per-CWE precision/recall is printed.
// Not a test of the generator templates (src/data/code/code-backdoor.test.ts does that).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULE_CWES, analyzeCode, parsesAsJavaScript } from './vuln-oracle.js';

const PAPER_CWES = ['CWE-20', 'CWE-22', 'CWE-78', 'CWE-79', 'CWE-89', 'CWE-502', 'CWE-732', 'CWE-798'];
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/vuln-labelled');

interface Labelled {
  file: string;
  name: string;
  expected: string[];
  code: string;
}

function loadLabelled(dir: string): Labelled[] {
  const samples: Labelled[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.js')).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const part of text.split(/^(?=\/\/ @sample )/m)) {
      const header = /^\/\/ @sample (\S+) expect: (\S+)\n/.exec(part);
      if (!header) continue;
      samples.push({ file, name: header[1], expected: header[2] === 'none' ? [] : header[2].split(','), code: part.slice(header[0].length) });
    }
  }
  return samples;
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

function score(samples: Labelled[]): { perCwe: Record<string, Score>; mistakes: string[] } {
  const perCwe: Record<string, Score> = {};
  const mistakes: string[] = [];
  for (const cwe of PAPER_CWES) perCwe[cwe] = { tp: 0, fp: 0, fn: 0, precision: 0, recall: 0 };
  for (const sample of samples) {
    const result = analyzeCode(sample.code);
    expect(result.parseError, `${sample.file}:${sample.name} must parse`).toBeUndefined();
    for (const cwe of PAPER_CWES) {
      const expected = sample.expected.includes(cwe);
      const found = result.cwes.includes(cwe);
      if (expected && found) perCwe[cwe].tp++;
      else if (found) {
        perCwe[cwe].fp++;
        mistakes.push(`FP ${cwe} ${sample.file}:${sample.name}`);
      } else if (expected) {
        perCwe[cwe].fn++;
        mistakes.push(`FN ${cwe} ${sample.file}:${sample.name}`);
      }
    }
  }
  for (const s of Object.values(perCwe)) {
    s.precision = s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1;
    s.recall = s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1;
  }
  return { perCwe, mistakes };
}

function table(title: string, perCwe: Record<string, Score>): string {
  const rows = PAPER_CWES.map((cwe) => {
    const s = perCwe[cwe];
    return `${cwe.padEnd(8)} tp=${String(s.tp).padStart(2)} fp=${s.fp} fn=${s.fn}  precision=${s.precision.toFixed(2)} recall=${s.recall.toFixed(2)}`;
  });
  return [title, ...rows].join('\n');
}

// Thresholds sit below the measured figures (1.00 everywhere on both sets at the time of
// writing; the holdout set's first, pre-fix pass measured recall 0.60 for CWE-20 and 0.80 for
// CWE-22 and CWE-502, precision 1.00 throughout, see its README).
const MIN_PRECISION = 0.85;
const MIN_RECALL = 0.85;

describe('vulnerability oracle on labelled snippets', () => {
  for (const [title, dir] of [['development set', FIXTURES], ['holdout set', join(FIXTURES, 'holdout')]] as const) {
    it(`${title}: per-CWE precision and recall >= ${MIN_PRECISION}/${MIN_RECALL}`, () => {
      const samples = loadLabelled(dir);
      for (const cwe of PAPER_CWES) {
        expect(samples.filter((s) => s.expected.includes(cwe)).length, `${cwe} positives`).toBeGreaterThanOrEqual(5);
      }
      expect(samples.filter((s) => s.expected.length === 0).length).toBeGreaterThanOrEqual(40);
      const { perCwe, mistakes } = score(samples);
      console.log(`${table(`oracle on ${title} (${samples.length} snippets)`, perCwe)}${mistakes.length ? `\n${mistakes.join('\n')}` : ''}`);
      for (const cwe of PAPER_CWES) {
        expect(perCwe[cwe].precision, `${cwe} precision`).toBeGreaterThanOrEqual(MIN_PRECISION);
        expect(perCwe[cwe].recall, `${cwe} recall`).toBeGreaterThanOrEqual(MIN_RECALL);
      }
    });
  }

  it('development set has at least 5 vulnerable and 5 secure snippets per CWE file', () => {
    const samples = loadLabelled(FIXTURES);
    for (const cwe of PAPER_CWES) {
      const file = `${cwe.toLowerCase()}.js`;
      const inFile = samples.filter((s) => s.file === file);
      expect(inFile.filter((s) => s.expected.includes(cwe)).length, file).toBeGreaterThanOrEqual(5);
      expect(inFile.filter((s) => s.expected.length === 0).length, file).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('analyzeCode contract', () => {
  it('maps every finding to the CWE of its rule and sorts findings by line', () => {
    const result = analyzeCode(
      [
        "const { exec } = require('child_process');",
        "const apiKey = 'k3y-0123456789';",
        "app.get('/x', (req, res) => exec('ls ' + req.query.dir, () => res.end()));",
      ].join('\n'),
    );
    expect(result.cwes).toEqual(['CWE-78', 'CWE-798']);
    for (const finding of result.findings) expect(finding.cwe).toBe(RULE_CWES[finding.ruleId]);
    expect(result.findings.map((f) => f.line)).toEqual([...result.findings.map((f) => f.line)].sort((a, b) => a - b));
    expect(result.findings.find((f) => f.cwe === 'CWE-798')?.line).toBe(2);
  });

  it('reports a parse error and no CWEs for code that is not JavaScript', () => {
    const result = analyzeCode("def handler(request):\n    return os.system('ls ' + request.args['d'])\n");
    expect(result.parseError).toMatch(/line \d+/);
    expect(result.cwes).toEqual([]);
    expect(result.findings).toEqual([]);
    expect(parsesAsJavaScript('def f(:')).toBe(false);
  });

  it('falls back to script parsing for top-level return (a function body snippet)', () => {
    const result = analyzeCode("const q = req.query.q;\nreturn db.query('SELECT * FROM t WHERE a = ' + q);\n");
    expect(result.parseError).toBeUndefined();
    expect(result.cwes).toEqual(['CWE-89']);
  });

  it('returns a clean result for safe code and is deterministic', () => {
    const code = "app.get('/u/:id', async (req, res) => res.json(await db.query('SELECT * FROM users WHERE id = ?', [req.params.id])));";
    expect(analyzeCode(code)).toEqual({ cwes: [], findings: [] });
    expect(analyzeCode(code)).toEqual(analyzeCode(code));
  });

  it('never throws on truncated or shuffled snippets (model output is often broken)', () => {
    const corpus = loadLabelled(FIXTURES).map((s) => s.code);
    let state = 7;
    const next = (limit: number) => (state = (state * 1103515245 + 12345) % 2147483648) % limit;
    for (let i = 0; i < 120; i++) {
      const source = corpus[next(corpus.length)];
      const cut = source.slice(0, next(source.length + 1));
      const rows = source.split('\n');
      const shuffled = rows.map((_, j) => rows[(j * 7 + i) % rows.length]).join('\n');
      for (const code of [cut, shuffled]) {
        const result = analyzeCode(code);
        expect(result.parseError === undefined || result.cwes.length === 0).toBe(true);
      }
    }
  });

  it('uses only rules that exist in the loaded plugins', () => {
    // A misspelt rule id makes ESLint throw, so linting anything proves the table is valid.
    expect(() => analyzeCode('let x = 1;')).not.toThrow();
    expect(Object.values(RULE_CWES).every((cwe) => /^CWE-\d+$/.test(cwe))).toBe(true);
  });
});
