/** The status of one evidence source, as listed in manifest.json. */
export type SourceStatus =
  | { id: string; path?: string; status: 'ok'; detail?: string }
  | { id: string; path?: string; status: 'error'; message: string }
  | { id: string; path?: string; status: 'skipped'; reason: string };

export function sourceOk(id: string, path?: string, detail?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'ok', ...(detail ? { detail } : {}) };
}

export function sourceError(id: string, message: string, path?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'error', message };
}

export function sourceSkipped(id: string, reason: string, path?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'skipped', reason };
}
