import type { Command } from '../command';
import { engineCommands } from './engine';
import { registryCommands } from './registry';
import { transportCommands } from './transport';

/** Every `lighter` command, in the order `lighter help` lists them. */
export const commands: Command[] = [...engineCommands, ...registryCommands, ...transportCommands];
