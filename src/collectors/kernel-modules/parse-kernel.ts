import type { TaintFlag } from '../../model/kernel.js';

/** One line of /proc/modules. */
export interface ProcModuleLine {
  name: string;
  size: number;
  state: string;
  /** Taint letters in the trailing parentheses: `(OE)` → `OE`. */
  taint: string;
}

/** `nf_tables 266240 1 nft_chain_nat, Live 0xffffffffc0a00000 (OE)`; lines of another shape are skipped. */
export function parseProcModules(text: string): ProcModuleLine[] {
  const out: ProcModuleLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+$/.test(f[1])) continue;
    const taint = /\(([A-Z]+)\)\s*$/.exec(line)?.[1] ?? '';
    out.push({ name: f[0], size: Number(f[1]), state: f[4], taint });
  }
  return out;
}

/** The kernel's taint bits (Documentation/admin-guide/tainted-kernels.rst). */
export const TAINT_BITS: ReadonlyArray<{ letter: string; meaning: string }> = [
  { letter: 'P', meaning: 'a proprietary module was loaded' },
  { letter: 'F', meaning: 'a module was force-loaded' },
  { letter: 'S', meaning: 'the kernel runs on hardware out of specification' },
  { letter: 'R', meaning: 'a module was force-unloaded' },
  { letter: 'M', meaning: 'a machine check exception occurred' },
  { letter: 'B', meaning: 'a bad page was referenced' },
  { letter: 'U', meaning: 'taint requested by user space' },
  { letter: 'D', meaning: 'the kernel died recently (oops or BUG)' },
  { letter: 'A', meaning: 'an ACPI table was overridden' },
  { letter: 'W', meaning: 'the kernel issued a warning' },
  { letter: 'C', meaning: 'a staging driver was loaded' },
  { letter: 'I', meaning: 'a firmware bug workaround is in use' },
  { letter: 'O', meaning: 'an out-of-tree module was loaded' },
  { letter: 'E', meaning: 'an unsigned module was loaded' },
  { letter: 'L', meaning: 'a soft lockup occurred' },
  { letter: 'K', meaning: 'the kernel was live-patched' },
  { letter: 'X', meaning: 'an auxiliary (distribution) taint' },
  { letter: 'T', meaning: 'the kernel was built with the struct randomisation plugin' },
  { letter: 'N', meaning: 'an in-kernel test was run' },
];

/** The set bits of /proc/sys/kernel/tainted. */
export function decodeTaint(value: number): TaintFlag[] {
  const out: TaintFlag[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (Math.floor(value / 2 ** bit) % 2 !== 1) continue;
    const known = TAINT_BITS[bit];
    out.push({ bit, letter: known?.letter ?? '?', meaning: known?.meaning ?? `taint bit ${bit}` });
  }
  return out;
}

/** modules.dep: `kernel/net/foo/bar.ko.xz: dep…` → module name (dashes as underscores) → path under /lib/modules/RELEASE. */
export function parseModulesDep(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const file = line.slice(0, colon);
    const name = file.slice(file.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
    out.set(name, file);
  }
  return out;
}
