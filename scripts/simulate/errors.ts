import { WinbackError } from '../../kernel/errors.js';

/** Simulation options out of range (a population, period, seed or start date that makes no sense). */
export class SimulationOptionsError extends WinbackError {}
