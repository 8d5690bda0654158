import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';

/** Taint letters a module causes: proprietary, forced load or unload, out-of-tree, unsigned. */
const MODULE_TAINTS = new Set(['P', 'F', 'R', 'O', 'E']);

/** kernel.tainted: the kernel is tainted by a module, or a loaded module lies outside the packaged ones. */
export const tainted = defineRule({
  id: 'kernel.tainted',
  title: 'Kernel tainted by a module',
  description:
    "A rootkit module is built outside the kernel tree and is not signed: loading it sets the out-of-tree (O) and unsigned (E) taint flags, or forced (F) when the version check was skipped, and those flags stay set until reboot even after the module hides or unloads. A loaded module with no file in the kernel's modules.dep, or whose file no package ships, came from elsewhere.",
  level: 'medium',
  mitre: ['T1547.006', 'T1014'],
  references: ['https://docs.kernel.org/admin-guide/tainted-kernels.html'],
  falsePositives: ['DKMS and vendor drivers (ZFS, NVIDIA, VirtualBox, VMware) are out-of-tree and often unsigned: name them and compare with what the box should run.'],
  needs: ['kernelModules'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const km = facts.kernelModules;
    const flags = km.taintFlags.filter((f) => MODULE_TAINTS.has(f.letter));
    if (flags.length > 0) {
      const culprits = km.modules.filter((m) => [...m.taint].some((l) => MODULE_TAINTS.has(l)));
      const forced = flags.some((f) => f.letter === 'F' || f.letter === 'R');
      out.push({
        rule: tainted.id,
        severity: forced ? 'high' : 'medium',
        title: `Kernel tainted: ${flags.map((f) => f.letter).join('')} (${flags.map((f) => f.meaning).join('; ')})`,
        detail: `/proc/sys/kernel/tainted is ${km.tainted}: ${flags.map((f) => `${f.letter} (bit ${f.bit}) ${f.meaning}`).join(', ')}. ${culprits.length ? `Modules carrying those flags now: ${culprits.map((m) => `${m.name} (${m.taint})`).join(', ')}.` : 'No module listed now carries those flags: the one that set them is unloaded or hidden.'} The flags stay until reboot, so they outlive a module that hid itself. Check each module against what the box should run; an unknown one is a rootkit until shown otherwise.`,
        mitre: tainted.mitre,
        subject: { pid: null, path: null, user: null, ip: null, tainted: km.tainted, modules: culprits.map((m) => m.name) },
        evidence: ['artifacts/kernel-taint.json', 'artifacts/kernel-modules.jsonl', 'commands/lsmod.txt'],
      });
    }
    // Without the kernel's modules.dep (a container sees the host's modules, not its files) nothing is judged by file.
    for (const m of km.modulesDepRead ? km.modules : []) {
      if (!m.inProcModules || m.builtin) continue;
      if (m.file !== null && m.packages.length > 0) continue;
      out.push({
        rule: tainted.id,
        severity: 'medium',
        title: m.file === null ? `Kernel module from outside the kernel's module tree: ${m.name}` : `Kernel module no package ships: ${m.name} (${m.file})`,
        detail: m.file === null
          ? `${m.name} is loaded, but /lib/modules/${km.release ?? 'RELEASE'}/modules.dep has no file for it: it was loaded with insmod from another path. Find the file (modinfo reads the running kernel's view: cat /sys/module/${m.name}/… ), hash it and compare with what the box should run.`
          : `${m.name} is loaded from ${m.file}, which no package owns (dpkg's lists): built on the box (DKMS) or planted.`,
        mitre: tainted.mitre,
        subject: { pid: null, path: m.file, user: null, ip: null, module: m.name },
        evidence: ['artifacts/kernel-modules.jsonl'],
      });
    }
    return out;
  },
});
