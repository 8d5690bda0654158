import type { Manifest } from '../evidence/bundle-schemas.js';

export type { Manifest } from '../evidence/bundle-schemas.js';

/** The manifest as a case hands it to sealing: everything but `files`, which sealing lists last. */
export type ManifestBody = Omit<Manifest, 'files'>;

/** The fields every case's manifest opens with, whatever the case did. */
type HeadKey = 'tool' | 'case' | 'examiner' | 'host' | 'commandLine' | 'mode' | 'root' | 'startedAt' | 'endedAt' | 'partial' | 'partialReasons';
export type ManifestHead = Required<Pick<Manifest, HeadKey>>;

/** What follows the head: a collect's run (verdict, playbook, steps, sources…), or an action case's action and its outcome. */
export type ManifestRest = Omit<ManifestBody, HeadKey>;

/**
 * The one place a manifest is put together: the head, then what the case did, in the order
 * manifest.json has always had them (key order is part of the bundle's bytes).
 */
export function buildManifest(head: Omit<ManifestHead, 'partial'>, rest: ManifestRest): ManifestBody {
  const body: ManifestBody = {
    tool: head.tool,
    case: head.case,
    examiner: head.examiner,
    host: head.host,
    commandLine: head.commandLine,
    mode: head.mode,
    root: head.root,
    startedAt: head.startedAt,
    endedAt: head.endedAt,
    partial: head.partialReasons.length > 0,
    partialReasons: head.partialReasons,
    ...rest,
  };
  return body;
}
