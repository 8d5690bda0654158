import { boxToolsCollector } from './commands.js';

export const boxProcessesCollector = boxToolsCollector(
  {
    id: 'box-processes',
    title: "The box's own process list",
    description: 'Raw output of ps auxwwf, as the box itself reports its processes.',
  },
  'boxProcessTools',
  [{ name: 'ps-auxwwf', argv: ['ps', 'auxwwf'] }],
);
