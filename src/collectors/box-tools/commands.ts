import { commandOk, type CommandResult, type CommandSpec } from '../../host/exec.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type Collector } from '../types.js';

/**
 * Runs the box's own tools and keeps their raw output as secondary evidence. They may have been
 * replaced by an intruder: the collectors that read /proc and the raw files compare against them.
 */
export function boxToolsCollector<const K extends 'boxLoginTools' | 'boxNetworkTools' | 'boxProcessTools'>(
  meta: Pick<Collector, 'id' | 'title' | 'description'>,
  provides: K,
  specs: CommandSpec[],
): Collector<K, never> {
  return defineCollector({
    ...meta,
    provides: [provides],
    reads: [],
    liveOnly: true,
    background: true,
    needsRoot: false,
    artifacts: specs.flatMap((s) => [`commands/${s.name}.txt`, `commands/${s.name}.json`]),
    async collect(ctx) {
      if (ctx.host.mode !== 'live') {
        return { sources: specs.map((s) => sourceSkipped(`command.${s.name}`, "offline: the box's tools would describe this machine, not the image")) };
      }
      const results: Record<string, CommandResult> = {};
      // The commands run side by side (each is its own process); their sources keep the list's order.
      const one = async (spec: CommandSpec): Promise<SourceStatus> => {
        const id = `command.${spec.name}`;
        if (ctx.host.signal.aborted) return sourceSkipped(id, 'interrupted');
        const result = await ctx.host.exec(
          { timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes, ...spec },
          ctx.host.signal,
        );
        if (result.notInstalled) return sourceSkipped(id, 'not installed');
        results[spec.name] = result;
        await ctx.sink.writeCommand(result);
        const where = `commands/${spec.name}.txt`;
        if (result.timedOut) return sourceError(id, `killed at its timeout (${spec.timeoutMs ?? ctx.options.commandTimeoutMs} ms)`, where);
        if (result.error) return sourceError(id, result.error, where);
        if (!commandOk(result, spec.okExitCodes)) {
          const why = result.stderr.trim().split('\n')[0] || `exit code ${String(result.exitCode ?? result.signal)}`;
          return sourceError(id, `exit ${String(result.exitCode ?? result.signal)}: ${why}`, where);
        }
        return sourceOk(id, where, result.truncated ? `output cut at ${ctx.options.maxCommandBytes} bytes` : undefined);
      };
      const sources = await Promise.all(specs.map(one));
      // The same key order whichever command ended first.
      const ordered = Object.fromEntries(specs.filter((s) => s.name in results).map((s) => [s.name, results[s.name]]));
      return { facts: { [provides]: ordered } as { [k in K]: Record<string, CommandResult> }, sources };
    },
  });
}
