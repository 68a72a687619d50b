import type { Command } from '../command';

export const registryCommands: Command[] = [];
