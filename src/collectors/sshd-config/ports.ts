import type { RootedFs } from '../../host/rooted-fs.js';
import { readSshdConfig } from './read-sshd-config.js';
import { sshdPorts, type SshdPortsResult } from './sshd-ports.js';

export interface SshdConfigPorts extends SshdPortsResult {
  /** The main file does not exist: no sshd configured on this box. */
  missing: boolean;
  /** Files that exist but could not be read (permission, I/O), as one line each. */
  readErrors: string[];
}

/** The ports of sshd_config and its Includes, read through the rooted fs (the reading is shared with the sshd-config collector). */
export async function readSshdConfigPorts(fs: RootedFs, mainPath = '/etc/ssh/sshd_config'): Promise<SshdConfigPorts> {
  const read = await readSshdConfig(fs, mainPath, (readFile, listGlob) => sshdPorts(readFile, listGlob, mainPath));
  return { ...read.result, missing: read.missing, readErrors: read.readErrors };
}
