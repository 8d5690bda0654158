/** The status of one evidence source, as listed in manifest.json. */
export type SourceStatus =
  /** `warning`: read, but what it held needs a look (a log of which no line was understood). */
  | { id: string; path?: string; status: 'ok'; detail?: string; warning?: string }
  | { id: string; path?: string; status: 'error'; message: string }
  | { id: string; path?: string; status: 'skipped'; reason: string };

export function sourceOk(id: string, path?: string, detail?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'ok', ...(detail ? { detail } : {}) };
}

/** Read without an error, but with something a reader must be told (shown beside failed sources). */
export function sourceWarning(id: string, warning: string, path?: string, detail?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'ok', ...(detail ? { detail } : {}), warning };
}

export function sourceError(id: string, message: string, path?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'error', message };
}

export function sourceSkipped(id: string, reason: string, path?: string): SourceStatus {
  return { id, ...(path ? { path } : {}), status: 'skipped', reason };
}
