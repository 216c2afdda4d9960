import type { CliCommand } from './command.js';
import { upCommand } from './up.js';
import { ingestCommand } from './ingest.js';
import { customersShowCommand } from './customers-show.js';
import { eventsCountCommand } from './events-count.js';

/** Every `winback` subcommand, in the order `winback --help` lists them. Add yours here. */
export const COMMANDS: readonly CliCommand[] = [upCommand, ingestCommand, customersShowCommand, eventsCountCommand];
