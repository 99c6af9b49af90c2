import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, SetEndRequest, WindowProgress } from './window.js';

/** The window's current phase and step history, answered from workflow state. */
export const progressQuery = defineQuery<WindowProgress>('progress');

/** Ends the window early: before its start it changes nothing; while active it reverts now. */
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');

/** Moves the window's end (extend or shorten); the validator refuses an end that is not in the future. */
export const setEndUpdate = defineUpdate<WindowProgress, [SetEndRequest]>('setEnd');
