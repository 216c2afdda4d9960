import type { CliCommand } from './command.js';
import { upCommand } from './up.js';
import { startCommand } from './start.js';
import { resetCommand } from './reset.js';
import { ingestCommand } from './ingest.js';
import { customersShowCommand } from './customers-show.js';
import { customersEraseCommand } from './customers-erase.js';
import { customersExportCommand } from './customers-export.js';
import { eventsCountCommand } from './events-count.js';
import { importCdnowCommand, importOnlineRetailCommand } from './import.js';
import { importSatisfactionCommand } from './import-satisfaction.js';
import { simulateCommand } from './simulate.js';
import { clvFitCommand } from './clv.js';
import { clvPlotCommand } from './clv-plot.js';
import { importExperimentCommand, upliftEvaluateCommand } from './uplift.js';
import { upliftTrainCommand } from './uplift-train.js';
import { trainCommand } from './train.js';
import { scoreCommand } from './score.js';
import { modelListCommand, modelPromoteCommand, modelRollbackCommand, modelShowCommand } from './model.js';
import { CAMPAIGN_COMMANDS } from './campaigns.js';
import { overviewCommand } from './overview.js';

/** Every `winback` subcommand, in the order `winback --help` lists them. Add yours here. */
export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  upCommand,
  resetCommand,
  ingestCommand,
  importCdnowCommand,
  importOnlineRetailCommand,
  importSatisfactionCommand,
  importExperimentCommand,
  simulateCommand,
  customersShowCommand,
  customersExportCommand,
  customersEraseCommand,
  eventsCountCommand,
  clvFitCommand,
  clvPlotCommand,
  upliftEvaluateCommand,
  upliftTrainCommand,
  trainCommand,
  scoreCommand,
  overviewCommand,
  modelListCommand,
  modelShowCommand,
  modelPromoteCommand,
  modelRollbackCommand,
  ...CAMPAIGN_COMMANDS,
];
