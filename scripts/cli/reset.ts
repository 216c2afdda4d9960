import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { ResetRefusedError } from '../demo/errors.js';
import { assertDataDir, assertNoStackRunning, resetDataDir } from '../demo/reset.js';
import type { CliCommand } from './command.js';

/**
 * `winback reset [--yes]`: empties the data dir (keeping config.json: the write key) so that the
 * next `winback start` loads the demo population afresh. Asks first on a terminal; elsewhere
 * needs --yes.
 */
export const resetCommand: CliCommand = {
  name: 'reset',
  summary: 'empty the data dir (DynamoDB data, models, demo marker, clock); keeps config.json (the write key)',
  help: [
    'usage: winback reset [--yes] [--data-dir DIR]',
    '',
    '  -y, --yes  do not ask for confirmation (needed when stdin is not a terminal)',
    '',
    'Refuses a directory without winback\'s config.json, and a data dir a running stack serves.',
    'The next `winback start` loads the demo population again.',
  ].join('\n'),
  options: { yes: { type: 'boolean', short: 'y' } },
  async run({ dataDir, values, out }) {
    const exists = await stat(dataDir).then(() => true, () => false);
    if (values['yes'] !== true && exists) {
      // Check the guards before asking: no point confirming a reset that would be refused.
      await assertDataDir(dataDir);
      await assertNoStackRunning(dataDir);
      if (!process.stdin.isTTY) throw new ResetRefusedError(`not resetting ${dataDir} without confirmation: pass --yes`);
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(`Delete everything in ${dataDir} except config.json? [y/N] `).finally(() => rl.close());
      if (!/^y(es)?$/i.test(answer.trim())) {
        out('reset cancelled');
        return 1;
      }
    }
    const result = await resetDataDir(dataDir);
    if (!result.existed) out(`nothing to reset: ${result.dataDir} does not exist`);
    else out(`reset ${result.dataDir}: removed ${result.removed.length ? result.removed.join(', ') : 'nothing (already empty)'}; kept config.json`);
    return 0;
  },
};
