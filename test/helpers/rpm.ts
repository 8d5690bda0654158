/**
 * Real RPM packages and databases made with Debian's rpm (rpmbuild, rpm -i --root): the
 * databases the tests read are the ones rpm itself writes, and rpm -qf / rpm -V answer as oracles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpDir } from './bundle.js';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** rpm and rpmbuild are installed (CI installs Debian's rpm package). */
export const hasRpm = has('rpm') && has('rpmbuild');

export interface RpmFileSpec {
  /** Absolute path the package installs. */
  path: string;
  /** File content, or a link target with `link`. */
  content?: string | Buffer;
  link?: string;
  mode?: number;
  config?: boolean;
}

export interface RpmSpec {
  name: string;
  version?: string;
  release?: string;
  files: RpmFileSpec[];
}

/** Builds a noarch package with rpmbuild in a temporary top folder; returns the .rpm file. */
export function buildRpm(spec: RpmSpec): string {
  const top = tmpDir('irt-rpmbuild-');
  for (const d of ['SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS', 'BUILDROOT']) mkdirSync(path.join(top, d), { recursive: true });
  const install: string[] = [];
  const listed: string[] = [];
  spec.files.forEach((f, i) => {
    if (f.link !== undefined) {
      install.push(`mkdir -p %{buildroot}${path.posix.dirname(f.path)}`, `ln -s ${f.link} %{buildroot}${f.path}`);
      listed.push(f.path);
      return;
    }
    writeFileSync(path.join(top, 'SOURCES', `f${i}`), f.content ?? '');
    const mode = (f.mode ?? 0o644).toString(8).padStart(4, '0');
    install.push(`install -D -m ${mode} %{_sourcedir}/f${i} "%{buildroot}${f.path}"`);
    listed.push(`${f.config ? '%config ' : ''}%attr(${mode},root,root) "${f.path}"`);
  });
  const text = [
    `Name: ${spec.name}`,
    `Version: ${spec.version ?? '1.0'}`,
    `Release: ${spec.release ?? '1'}`,
    'Summary: test package',
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    'test package',
    '%install',
    ...install,
    '%files',
    ...listed,
    '',
  ].join('\n');
  writeFileSync(path.join(top, 'SPECS', 'p.spec'), text);
  // HOME in the top folder: Debian's rpm macros put a user database under ~/.rpmdb. The files go in
  // as written: no stripping (the test ELF headers are not real programs), no build-id links.
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '--define', '_build_id_links none', '--define', '__os_install_post %{nil}', '--define', '_binaries_in_noarch_packages_terminate_build 0', '-bb', path.join(top, 'SPECS', 'p.spec')], { env: { ...process.env, HOME: top }, stdio: 'pipe' });
  const dir = path.join(top, 'RPMS', 'noarch');
  return path.join(dir, readdirSync(dir)[0]);
}

/** rpm with the root and database folder given (HOME kept out of the machine's own). */
export function rpm(root: string, dbpath: string, args: string[], okStatus = [0]): string {
  const r = spawnSync('rpm', ['--root', root, '--dbpath', dbpath, ...args], { encoding: 'utf8', env: { ...process.env, HOME: root } });
  if (!okStatus.includes(r.status ?? -1)) throw new Error(`rpm ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Installs the packages into `root` (no dependencies, no scripts): rpm writes dbpath/rpmdb.sqlite. */
export function rpmInstall(root: string, packages: string[], dbpath = '/var/lib/rpm'): void {
  rpm(root, dbpath, ['-i', '--nodeps', '--noscripts', ...packages]);
}
