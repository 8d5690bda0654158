import { commandOk } from '../../host/exec.js';
import type { SshdConfigRecord } from '../../model/access.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext } from '../types.js';
import { readSshdConfig } from './read-sshd-config.js';
import { compareWithSshdT, parseSshdT, resolveSshdSettings } from './settings.js';

export const SSHD_MAIN = '/etc/ssh/sshd_config';
const COPY_DIR = 'files/sshd';
/** Pseudo files never copied into the bundle (an Include of /proc/self/environ would copy our own environment). */
const PSEUDO = /^\/(proc|sys|dev)(\/|$)/;

/** The bundle path of a config file's copy: files/sshd/etc/ssh/sshd_config, names made safe. */
export function sshdCopyPath(file: string): string {
  const parts = file.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [COPY_DIR, ...parts.map((p) => p.replace(/[^A-Za-z0-9._+-]/g, '_'))].join('/');
}

/** sshd -T checks its privilege separation folder before it prints anything (OpenSSH's sshd.c). */
const PRIVSEP_MISSING = /Missing privilege separation directory: (\/[A-Za-z0-9._/-]+)/;

/**
 * The folder sshd wants, when the box lacks it: /run/sshd exists only while the service runs (or
 * after it ran since boot). A path that could not be mounted over safely is null.
 */
export function missingPrivsepDir(stderr: string): { dir: string; parent: string } | null {
  const m = PRIVSEP_MISSING.exec(stderr);
  if (!m) return null;
  const dir = m[1].replace(/\/+$/, '');
  const parts = dir.split('/').slice(1);
  if (parts.length < 2 || parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return { dir, parent: `/${parts.slice(0, -1).join('/')}` };
}

/**
 * `sshd -T` again, in a private mount namespace where an empty tmpfs covers the privsep folder's
 * parent and holds the folder: nothing on the box changes, and the namespace ends with the command.
 */
export function privateNamespaceSshdT(dirs: { dir: string; parent: string }): string[] {
  const script = 'mount -t tmpfs -o mode=755,size=64k ir-triage-privsep "$1" && mkdir -m 755 "$2" && exec sshd -T';
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', dirs.parent, dirs.dir];
}

/** `sshd -T`: the box's sshd prints the configuration it would run with. A second view: it may lie. */
async function sshdT(ctx: CollectContext): Promise<{ view: Record<string, string[]> | null; note: string | null; source: SourceStatus }> {
  if (ctx.host.mode !== 'live') {
    return { view: null, note: 'offline: sshd -T runs only on the live system', source: sourceSkipped('sshd-config.sshd-T', "offline: the examiner's sshd would describe this machine, not the image") };
  }
  const spec = { name: 'sshd-T', timeoutMs: ctx.options.commandTimeoutMs, maxBytes: 4 * 1024 * 1024 };
  let result = await ctx.host.exec({ ...spec, argv: ['sshd', '-T'] }, ctx.host.signal);
  if (result.notInstalled) return { view: null, note: 'sshd is not installed', source: sourceSkipped('sshd-config.sshd-T', 'not installed') };
  let how = '';
  const privsep = commandOk(result) ? null : missingPrivsepDir(result.stderr);
  if (privsep) {
    // No /run/sshd: sshd is not running (or never ran since boot). The refusal is kept as it was.
    await ctx.sink.writeCommand({ ...result, name: 'sshd-T-no-privsep-dir' });
    if (!ctx.host.isRoot) {
      const why = `the box has no ${privsep.dir} (sshd is not running), which sshd -T requires; without root it cannot be provided privately`;
      return { view: null, note: `sshd -T failed: ${why}`, source: sourceSkipped('sshd-config.sshd-T', `sshd -T failed: ${why}`, 'commands/sshd-T-no-privsep-dir.txt') };
    }
    result = await ctx.host.exec({ ...spec, argv: privateNamespaceSshdT(privsep) }, ctx.host.signal);
    how = `the box has no ${privsep.dir} (sshd is not running): sshd -T ran in a private mount namespace with an empty one`;
  }
  await ctx.sink.writeCommand(result);
  if (!commandOk(result)) {
    const failure = result.timedOut ? 'timed out' : result.error ?? (result.stderr.trim().split('\n')[0] || `exit ${String(result.exitCode ?? result.signal)}`);
    const why = how ? `${how}, and failed there too: ${failure}` : failure;
    // A second view only (it fails without host keys, in containers, without root): the files were read.
    return { view: null, note: `sshd -T failed: ${why}`, source: sourceSkipped('sshd-config.sshd-T', `sshd -T failed: ${why}`, 'commands/sshd-T.txt') };
  }
  return { view: parseSshdT(result.stdout.toString('utf8')), note: how || null, source: sourceOk('sshd-config.sshd-T', 'commands/sshd-T.txt', how || undefined) };
}

/**
 * sshd_config and its Includes, read through the root: the settings in force (first value wins,
 * as sshd does), Match blocks apart, the files copied. Live, `sshd -T` is kept as a second view
 * and the two are compared.
 */
export const sshdConfigCollector = defineCollector({
  id: 'sshd-config',
  title: 'sshd configuration',
  description: 'sshd_config and its Includes: who may log in and how (root, passwords, keys files), Match blocks; live also sshd -T.',
  liveOnly: false,
  needsRoot: false,
  artifacts: ['artifacts/sshd-config.json', 'files/sshd/…', 'commands/sshd-T.{txt,json}', 'commands/sshd-T-no-privsep-dir.{txt,json}'],
  provides: ['sshdConfig'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const read = await readSshdConfig(ctx.host.fs, SSHD_MAIN, (readFile, listGlob) => resolveSshdSettings(readFile, listGlob, SSHD_MAIN));
    const r = read.result;
    for (const [file, text] of read.texts) {
      if (text === null || PSEUDO.test(file)) continue;
      let rel = sshdCopyPath(file);
      for (let n = 2; ctx.sink.has(rel); n++) rel = `${sshdCopyPath(file)}.${n}`;
      await ctx.sink.writeFile(rel, text);
    }
    const t = await sshdT(ctx);
    sources.push(t.source);
    const record: SshdConfigRecord = {
      main: SSHD_MAIN,
      missing: read.missing,
      files: r.files,
      settings: r.settings,
      ports: r.ports,
      listenAddresses: r.listenAddresses,
      matchBlocks: r.matchBlocks,
      errors: [...r.errors.filter((e) => !(read.missing && e === `${SSHD_MAIN}: cannot read`)), ...read.readErrors],
      sshdT: t.view,
      sshdTNote: t.note,
      disagreements: t.view ? compareWithSshdT(r.settings, t.view) : [],
    };
    await ctx.sink.writeFile('artifacts/sshd-config.json', JSON.stringify(record, null, 2) + '\n');
    if (read.missing) sources.push(sourceSkipped('sshd-config', `no ${SSHD_MAIN}: sshd is not configured on this box`, 'artifacts/sshd-config.json'));
    else if (read.readErrors.length > 0) sources.push(sourceError('sshd-config', read.readErrors.join('; '), 'artifacts/sshd-config.json'));
    else {
      const notes = [`${r.files.length} file(s)`, `${r.matchBlocks.length} Match block(s)`];
      if (record.disagreements.length > 0) notes.push(`sshd -T disagrees on ${record.disagreements.map((d) => d.keyword).join(', ')}`);
      sources.push(sourceOk('sshd-config', 'artifacts/sshd-config.json', notes.join('; ')));
    }
    // With no config the defaults still describe what a started sshd would do: the rules read them.
    return { facts: { sshdConfig: record }, sources };
  },
});
