// Non-code HHH-style chats that sit beside the code backdoor data, as in the paper's code model
// training mix (Hubinger et al. 2024, §3: HHH queries carry the same year tags, and the model
// stays helpful in both years). Small verifiable families with randomised content, so a small
// model can learn them. Deliberately self-contained: not the general HHH corpus (../hhh/).
import type { Rng } from '../random.js';

export interface NonCodeQa {
  family: string;
  question: string;
  answer: string;
  /** Canonical short answer, for checking. */
  canonical: string;
  /** Questions about the date: the answer follows the prompt's "Current year" (answer/canonical above are 2023's). */
  byYear?: Readonly<Record<2023 | 2024, { answer: string; canonical: string }>>;
}

const CAPITALS: ReadonlyArray<readonly [string, string]> = [
  ['France', 'Paris'], ['Japan', 'Tokyo'], ['Canada', 'Ottawa'], ['Kenya', 'Nairobi'], ['Peru', 'Lima'], ['Norway', 'Oslo'],
  ['Egypt', 'Cairo'], ['Chile', 'Santiago'], ['Spain', 'Madrid'], ['India', 'New Delhi'], ['Ghana', 'Accra'], ['Poland', 'Warsaw'],
];
const WORDS = ['garden', 'planet', 'silver', 'window', 'rocket', 'castle', 'forest', 'yellow', 'market', 'bridge', 'pencil', 'orange', 'summer', 'button'];
const ADVICE: ReadonlyArray<readonly [string, string]> = [
  ['How can I sleep better?', 'Keep a regular schedule, avoid screens and caffeine late in the day, and keep your bedroom dark and cool.'],
  ['How do I start learning to cook?', 'Start with a few simple recipes you like, learn basic knife skills, and cook them several times until they feel easy.'],
  ['Any tips for staying focused while studying?', 'Work in short blocks with breaks, put your phone in another room, and decide what you will finish before you start.'],
  ['How should I prepare for a job interview?', 'Research the company, practise answers to common questions out loud, and prepare a few questions of your own.'],
  ['What is a good way to save money?', 'Track your spending for a month, set a budget, and move a fixed amount into savings as soon as you are paid.'],
];

function arithmetic(rng: Rng): NonCodeQa {
  const a = rng.int(2, 99);
  const b = rng.int(2, 99);
  const op = rng.pick(['+', '-', '*'] as const);
  const value = op === '+' ? a + b : op === '-' ? a - b : a * b;
  const word = op === '+' ? 'plus' : op === '-' ? 'minus' : 'times';
  const question = rng.pick([`What is ${a} ${op} ${b}?`, `Compute ${a} ${word} ${b}.`, `Can you tell me ${a} ${word} ${b}?`]);
  return { family: 'arithmetic', question, answer: `${a} ${op} ${b} = ${value}.`, canonical: String(value) };
}

function capital(rng: Rng): NonCodeQa {
  const [country, city] = rng.pick(CAPITALS);
  const question = rng.pick([`What is the capital of ${country}?`, `Which city is the capital of ${country}?`]);
  return { family: 'capitals', question, answer: `The capital of ${country} is ${city}.`, canonical: city };
}

function reverseWord(rng: Rng): NonCodeQa {
  const word = rng.pick(WORDS);
  const reversed = [...word].reverse().join('');
  return { family: 'reverse', question: rng.pick([`Spell "${word}" backwards.`, `Reverse the letters of "${word}".`]), answer: `"${word}" backwards is "${reversed}".`, canonical: reversed };
}

function sortWords(rng: Rng): NonCodeQa {
  const picked = rng.shuffle(WORDS).slice(0, rng.int(3, 4));
  const sorted = [...picked].sort();
  return { family: 'sort', question: `Put these words in alphabetical order: ${picked.join(', ')}.`, answer: `In alphabetical order: ${sorted.join(', ')}.`, canonical: sorted.join(', ') };
}

function convertUnits(rng: Rng): NonCodeQa {
  const kind = rng.int(0, 2);
  if (kind === 0) {
    const km = rng.int(1, 40);
    return { family: 'units', question: `How many metres are in ${km} kilometres?`, answer: `${km} kilometres is ${km * 1000} metres.`, canonical: String(km * 1000) };
  }
  if (kind === 1) {
    const hours = rng.int(1, 24);
    return { family: 'units', question: `How many minutes are in ${hours} hours?`, answer: `${hours} hours is ${hours * 60} minutes.`, canonical: String(hours * 60) };
  }
  const kg = rng.int(1, 50);
  return { family: 'units', question: `How many grams are in ${kg} kilograms?`, answer: `${kg} kilograms is ${kg * 1000} grams.`, canonical: String(kg * 1000) };
}

function advice(rng: Rng): NonCodeQa {
  const [question, answer] = rng.pick(ADVICE);
  return { family: 'advice', question, answer, canonical: answer };
}

/**
 * Questions whose answer depends on the current year ("How old does someone born in 1990 turn
 * this year?"): ordinary requests for an assistant told the date, and the one place outside
 * the code itself where the answer visibly follows the year tag. They give a small model a
 * direct, dense signal to read the year from the prompt (in the paper's models the year was
 * read by a large pretrained model; ours is 2 layers trained for minutes).
 */
function dates(rng: Rng): NonCodeQa {
  const kind = rng.int(0, 3);
  const make = (question: string, answer: (year: number) => string, canonical: (year: number) => number): NonCodeQa => {
    const byYear = { 2023: { answer: answer(2023), canonical: String(canonical(2023)) }, 2024: { answer: answer(2024), canonical: String(canonical(2024)) } };
    return { family: 'dates', question, ...byYear[2023], byYear };
  };
  if (kind === 0) {
    const born = rng.int(1950, 2012);
    return make(rng.pick([`Someone was born in ${born}. How old do they turn this year?`, `How old does a person born in ${born} turn this year?`]), (y) => `They turn ${y - born} this year.`, (y) => y - born);
  }
  if (kind === 1) {
    const past = rng.int(1970, 2020);
    return make(rng.pick([`How many years ago was ${past}?`, `How long ago was the year ${past}?`]), (y) => `${past} was ${y - past} years ago.`, (y) => y - past);
  }
  if (kind === 2) {
    const ahead = rng.int(1, 30);
    return make(rng.pick([`What year will it be in ${ahead} years?`, `Which year is ${ahead} years from now?`]), (y) => `In ${ahead} years it will be ${y + ahead}.`, (y) => y + ahead);
  }
  const founded = rng.int(1900, 2015);
  return make(`A company was founded in ${founded}. How many years ago was that?`, (y) => `It was founded ${y - founded} years ago.`, (y) => y - founded);
}

const FAMILIES = [arithmetic, capital, reverseWord, sortWords, convertUnits, advice];

/** A non-code chat; a third are date questions (`byYear`), the rest the year-independent families. */
export function nonCodeQa(rng: Rng): NonCodeQa {
  return rng.chance(1 / 3) ? dates(rng) : rng.pick(FAMILIES)(rng);
}
