// node:util for the .mjs bundle on Node 18: everything node:util has, plus util.styleText (added
// in Node 20.12, imported by @inquirer's prompts) where the running node lacks it. Only the
// single-file bundle uses this (scripts/build-bundle.mjs); the npm install needs Node 20.5+.
import * as util from 'node:util';

export * from 'node:util';
export default util.default;

function styleTextFallback(format, text, { validateStream = true, stream = process.stdout } = {}) {
  let open = '';
  let close = '';
  for (const name of Array.isArray(format) ? format : [format]) {
    const codes = util.inspect.colors[name];
    if (!codes) throw new TypeError(`util.styleText: unknown format ${JSON.stringify(name)}`);
    open += `\u001b[${codes[0]}m`;
    close = `\u001b[${codes[1]}m${close}`;
  }
  // As Node 20 does: no escapes unless the stream is a terminal that takes colours (NO_COLOR…).
  if (validateStream && !(stream?.isTTY && stream.hasColors?.())) return text;
  return `${open}${text}${close}`;
}

export const styleText = util.styleText ?? styleTextFallback;
