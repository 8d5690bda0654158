import { boxToolsCollector } from './commands.js';

export const boxNetworkCollector = boxToolsCollector(
  {
    id: 'box-network',
    title: "The box's own network tools",
    description: 'Raw output of ss -tanp and lsof -nP -i (numeric: no DNS from the suspect box).',
  },
  'boxNetworkTools',
  [
    { name: 'ss-tanp', argv: ['ss', '-tanp'] },
    // lsof exits 1 when no file matched: an empty answer, not a failure.
    { name: 'lsof-i', argv: ['lsof', '-nP', '-w', '-i'], okExitCodes: [1] },
  ],
);
