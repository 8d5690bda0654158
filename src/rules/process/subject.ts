import type { FindingSubject } from '../../model/finding.js';
import type { FactsWith } from '../../model/facts.js';
import type { ProcessRecord } from '../../model/processes.js';

export function processSubject(p: ProcessRecord): FindingSubject {
  return { pid: p.pid, path: p.exe, user: p.user, ip: null, comm: p.comm, cwd: p.cwd };
}

export function processEvidence(p: ProcessRecord): string[] {
  return ['artifacts/processes.jsonl', ...(p.exePreserved ? [p.exePreserved] : []), `artifacts/open-files.jsonl`];
}

/** `pscan2 (pid 4242)`, as titles name a process. */
export function processLabel(p: ProcessRecord): string {
  return `${p.comm} (pid ${p.pid})`;
}

/** The processes rules judge: not ours, not the kernel's own threads. */
export function candidateProcesses(facts: FactsWith<'processes'>): ProcessRecord[] {
  const self = new Set(facts.selfPids ?? []);
  return facts.processes.filter((p) => !self.has(p.pid));
}

/** A real kernel thread: PF_KTHREAD set, no executable, no command line, child of kthreadd (or kthreadd). */
export function isRealKernelThread(p: ProcessRecord): boolean {
  return p.kernelThread && p.exe === null && p.argv.length === 0 && (p.ppid === 2 || p.pid === 2 || p.ppid === 0);
}
