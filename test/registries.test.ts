import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../src/actions/index.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { SEVERITIES } from '../src/model/finding.js';
import { RULES } from '../src/rules/index.js';
import { DERIVED } from '../src/playbooks/facts-contract.js';
import type { FactKey } from '../src/model/facts.js';

const sorted = (ids: string[]) => [...ids].sort();

describe('registries', () => {
  it('are sorted lists of unique ids', () => {
    for (const ids of [COLLECTORS.map((c) => c.id), RULES.map((r) => r.id), ACTIONS.map((a) => a.id)]) {
      expect(ids).toEqual(sorted(ids));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('every collector is declared: title, one-line description, artifacts', () => {
    for (const c of COLLECTORS) {
      expect(c.id).toMatch(/^[a-z0-9-]+$/);
      expect(c.title.length).toBeGreaterThan(3);
      expect(c.description).not.toMatch(/\n/);
      expect(c.artifacts.length).toBeGreaterThan(0);
    }
  });

  it('every action is declared in src/actions/<id>.ts: title, one-line description, what it says when there is nothing to act on; its undo names it', () => {
    for (const a of ACTIONS) {
      expect(a.id).toMatch(/^[a-z0-9-]+$/);
      expect(a.title.length).toBeGreaterThan(3);
      expect(a.description).not.toMatch(/\n/);
      expect(a.nothingFound).toMatch(/^Nothing to /);
      if (a.undo) expect(a.undo.action).toBe(a.id);
      expect(existsSync(path.join('src/actions', `${a.id}.ts`))).toBe(true);
    }
  });

  it('every rule is declared in Sigma vocabulary and lives in src/rules/<area>/<name>.ts', () => {
    for (const r of RULES) {
      const [area, name] = r.id.split('.');
      expect(r.id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
      expect(SEVERITIES).toContain(r.level);
      expect(r.description.length).toBeGreaterThan(10);
      expect(Array.isArray(r.falsePositives)).toBe(true);
      for (const t of r.mitre) expect(t).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(existsSync(path.join('src/rules', area, `${name}.ts`))).toBe(true);
    }
  });

  describe('the facts contract', () => {
    const provided = new Set<FactKey>([...COLLECTORS.flatMap((c) => c.provides), ...(Object.keys(DERIVED) as FactKey[])]);

    it('every fact a rule needs is provided by a collector or derived by the engine', () => {
      const missing = RULES.flatMap((r) => r.needs.filter((k) => !provided.has(k)).map((k) => `${r.id} needs ${k}`));
      expect(missing).toEqual([]);
    });

    it('every fact a collector reads is provided by another collector or derived', () => {
      const missing = COLLECTORS.flatMap((c) =>
        c.reads.filter((k) => !COLLECTORS.some((p) => p !== c && p.provides.includes(k as never)) && !DERIVED[k]).map((k) => `${c.id} reads ${k}`),
      );
      expect(missing).toEqual([]);
    });

    it('every derived fact is computed from facts that collectors provide', () => {
      for (const [key, def] of Object.entries(DERIVED)) {
        for (const input of def!.from) expect(COLLECTORS.some((c) => c.provides.includes(input as never)), `${key} from ${input}`).toBe(true);
      }
    });

    it('reads form no cycle: each collector can run after what it reads', () => {
      const deps = (id: string): string[] => {
        const c = COLLECTORS.find((x) => x.id === id)!;
        const keys = c.reads.flatMap((k) => (DERIVED[k] ? [...DERIVED[k]!.from] : [k]));
        return COLLECTORS.filter((p) => p.id !== id && keys.some((k) => p.provides.includes(k as never))).map((p) => p.id);
      };
      const visit = (id: string, chain: string[]): void => {
        expect(chain, `cycle: ${[...chain, id].join(' → ')}`).not.toContain(id);
        for (const d of deps(id)) visit(d, [...chain, id]);
      };
      for (const c of COLLECTORS) visit(c.id, []);
    });

    it('every fact of the contract is provided by some collector or derived', () => {
      // The compiler keeps this list equal to the keys of Facts (a missing or extra key fails to compile).
      const every: { [K in FactKey]: true } = { host: true, processes: true, selfPids: true, toolHits: true, openFiles: true, processCrossView: true, ldSoPreload: true, connections: true, sessions: true, utmp: true, failedLogins: true, loginTampering: true, loginCopies: true, authEvents: true, authTally: true, authLogins: true, authRootLogins: true, authEvidence: true, boxLoginTools: true, boxNetworkTools: true, boxProcessTools: true, sshPorts: true, sshView: true, hiddenSockets: true, window: true, accounts: true, accountFiles: true, sshdConfig: true, authorizedKeys: true, integrity: true, cronEntries: true, systemdUnits: true, startupEntries: true, persistenceFiles: true,
        procMountHides: true, pidWalk: true, packetSockets: true, sshdLibraries: true, kernelModules: true, yaraScan: true, historyFiles: true, historyCommands: true, historySettings: true, changedFiles: true, setuidFiles: true };
      const orphans = (Object.keys(every) as FactKey[]).filter((k) => !provided.has(k));
      expect(orphans).toEqual([]);
    });
  });
});
