import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';

/** kernel.hidden-module: /proc/modules and /sys/module disagree about a loaded module. */
export const hiddenModule = defineRule({
  id: 'kernel.hidden-module',
  title: 'Kernel module hidden from one view',
  description:
    "Loadable-module rootkits (Diamorphine, Reptile, Suterusu) unlink themselves from the module list that /proc/modules and lsmod print; many leave their /sys/module folder, or the reverse. A module that one view has and the other lacks, on two looks, is hiding. Built-in modules have a /sys/module folder without an initstate and are never in /proc/modules: they do not count.",
  level: 'critical',
  mitre: ['T1014', 'T1547.006'],
  references: ['https://github.com/m0nad/Diamorphine', 'https://docs.kernel.org/admin-guide/tainted-kernels.html'],
  falsePositives: ['A module loading or unloading during both looks (300 ms apart).'],
  needs: ['kernelModules'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const km = facts.kernelModules;
    for (const name of km.disagreeing) {
      const m = km.modules.find((x) => x.name === name);
      const where = m?.inProcModules ? 'in /proc/modules but has no /sys/module folder' : 'in /sys/module (with an initstate: loaded, not built in) but missing from /proc/modules and lsmod';
      out.push({
        rule: hiddenModule.id,
        severity: 'critical',
        title: `Kernel module hidden: ${name}`,
        detail: `The module ${name} is ${where}, on two looks. A module that unlinks itself from the list is a kernel rootkit: nothing the box says about processes, files or sockets can be trusted now. Image the memory (LiME, AVML) before anything else, then rebuild the box; do not try to unload it.`,
        mitre: hiddenModule.mitre,
        subject: { pid: null, path: m?.file ?? null, user: null, ip: null, module: name },
        evidence: ['artifacts/kernel-modules.jsonl', 'artifacts/kernel-taint.json', 'commands/lsmod.txt'],
      });
    }
    return out;
  },
});
