import type { Command } from '../command';

export const engineCommands: Command[] = [];
