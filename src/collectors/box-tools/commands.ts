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
    needsRoot: false,
    artifacts: specs.flatMap((s) => [`commands/${s.name}.txt`, `commands/${s.name}.json`]),
    async collect(ctx) {
      if (ctx.host.mode !== 'live') {
        return { sources: specs.map((s) => sourceSkipped(`command.${s.name}`, "offline: the box's tools would describe this machine, not the image")) };
      }
      const sources: SourceStatus[] = [];
      const results: Record<string, CommandResult> = {};
      for (const spec of specs) {
        if (ctx.host.signal.aborted) {
          sources.push(sourceSkipped(`command.${spec.name}`, 'interrupted'));
          continue;
        }
        const result = await ctx.host.exec(
          { timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes, ...spec },
          ctx.host.signal,
        );
        const id = `command.${spec.name}`;
        if (result.notInstalled) {
          sources.push(sourceSkipped(id, 'not installed'));
          continue;
        }
        results[spec.name] = result;
        await ctx.sink.writeCommand(result);
        const where = `commands/${spec.name}.txt`;
        if (result.timedOut) sources.push(sourceError(id, `killed at its timeout (${spec.timeoutMs ?? ctx.options.commandTimeoutMs} ms)`, where));
        else if (result.error) sources.push(sourceError(id, result.error, where));
        else if (!commandOk(result, spec.okExitCodes)) {
          const why = result.stderr.trim().split('\n')[0] || `exit code ${String(result.exitCode ?? result.signal)}`;
          sources.push(sourceError(id, `exit ${String(result.exitCode ?? result.signal)}: ${why}`, where));
        } else sources.push(sourceOk(id, where, result.truncated ? `output cut at ${ctx.options.maxCommandBytes} bytes` : undefined));
      }
      return { facts: { [provides]: results } as { [k in K]: Record<string, CommandResult> }, sources };
    },
  });
}
