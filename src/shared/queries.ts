import { defineQuery } from '@temporalio/workflow';
import type { WindowProgress } from './window.js';

/** The window's current phase and step history, answered from workflow state. */
export const progressQuery = defineQuery<WindowProgress>('progress');
