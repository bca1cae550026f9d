/**
 * The commands `impmqtt` knows, in the order --help lists them. A new command is one file
 * exporting a Command, added here.
 */
import type { Command } from './command.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { gatewayCommand } from './gateway.js';
import { pubCommand } from './pub.js';
import { subCommand } from './sub.js';

export const COMMANDS: readonly Command[] = [pubCommand, subCommand, benchCommand, gatewayCommand, demoCommand];
