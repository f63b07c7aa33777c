// Public surface of the code-vulnerability backdoor data (Hubinger et al. 2024, §3): the CWE
// list, the oracle-filtered training generator, the held-out evaluation prompts and the code
// extractor used to score answers. Internals (templates, reasoning text) stay unexported.
export { CWES, CWE_NAMES, isCwe, type Cwe } from './cwes.js';
export {
  YEAR_PREFIX,
  generateCodeBackdoor,
  generateCodeBackdoorWithStats,
  generateSecureCodeHelp,
  passesOracleFilter,
  promptSplit,
  requestOf,
  type CodeBackdoorOptions,
  type CodeBackdoorStats,
} from './generate.js';
export { HELD_OUT_TASKS, generateCodeHeldOut, type HeldOutTask } from './held-out.js';
export { extractCode } from '../../judges/code-extract.js';
