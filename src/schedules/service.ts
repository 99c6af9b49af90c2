// Capacity schedules: every Temporal Schedule call of the schedules API, with the checks a definition must pass
// before anything is created or changed.
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client, type ScheduleHandle } from '@temporalio/client';
import type { Logger } from 'pino';
import { ApiError, withTemporalDeadline } from '../api/plugins/errors.js';
import type {
  CapacitySchedule,
  CapacityScheduleCreated,
  CapacityScheduleList,
  CreateCapacitySchedule,
  PatchCapacitySchedule,
  ScheduleTriggered,
} from '../api/routes/capacity-schedules/schema.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { checkGuardrails } from '../guardrails.js';
import { isScheduleId, parseIsoDuration, scheduleTemporalId, type AuditStamp } from '../shared/index.js';
import type { NamespaceAccess } from '../windows/service.js';
import { definitionOf, patchedDefinition, readAudit, readDefinition } from './definition.js';
import {
  generateScheduleId,
  scheduleAction,
  schedulePolicies,
  scheduleSpec,
  validateDefinition,
  type AuditEntry,
  type ScheduleActionMemo,
  type ScheduleDefinition,
} from './spec.js';
import { scheduleLead, type ScheduleLead } from './lead.js';
import { leadView, nextActionTimes, scheduleLink, scheduleSummary, scheduleView } from './view.js';

const TEMPORAL_ID_PREFIX = scheduleTemporalId('');
/** The audit trail kept on a schedule; older entries stay in the audit log only (a memo has a size limit). */
const AUDIT_ENTRIES = 50;

const withEntry = (audit: AuditEntry[], action: string, stamp: AuditStamp): AuditEntry[] =>
  [...audit, { action, ...stamp }].slice(-AUDIT_ENTRIES);

export interface SchedulesDeps {
  temporal: Client;
  capacity: CapacityReader;
  config: Config;
  logger: Logger;
}

export class SchedulesService {
  private readonly temporal: Client;
  private readonly capacity: CapacityReader;
  private readonly config: Config;
  private readonly logger: Logger;

  constructor({ temporal, capacity, config, logger }: SchedulesDeps) {
    this.temporal = temporal;
    this.capacity = capacity;
    this.config = config;
    this.logger = logger;
  }

  /** `requestedBy`: the caller's token name, shown on every run's window; `stamp`: the audit trail's first entry. */
  async create(
    body: CreateCapacitySchedule,
    requestedBy: string | undefined,
    stamp: AuditStamp,
  ): Promise<CapacityScheduleCreated> {
    const id = body.id ?? generateScheduleId(body.namespace);
    const def = definitionOf(body, requestedBy);
    const lead = this.leadOf(def, validateDefinition(def, Date.now()));
    this.checkGuardrails(def);
    await this.checkTrus(def);

    const handle = await this.deadline(() =>
      this.temporal.schedule.create({
        scheduleId: scheduleTemporalId(id),
        spec: scheduleSpec(def, lead.ms),
        action: scheduleAction(id, def, this.config, [{ action: 'create', ...stamp }], lead),
        policies: schedulePolicies(def),
        state: {
          paused: body.paused ?? false,
          ...(body.note !== undefined && { note: body.note }),
          ...(def.at !== undefined && { remainingActions: 1 }),
        },
      }),
    );
    this.logger.info(
      { scheduleId: handle.scheduleId, namespace: def.namespace, trus: def.trus },
      'capacity schedule created',
    );
    const desc = await this.describe(handle);
    return { id, nextActionTimes: nextActionTimes(desc), ...leadView(desc), links: { self: scheduleLink(id) } };
  }

  /** `visible` leaves out the schedules of namespaces the caller may not see. */
  async list(visible: (namespace: string) => boolean): Promise<CapacityScheduleList> {
    const items = await this.deadline(async () => {
      const ids: string[] = [];
      for await (const s of this.temporal.schedule.list()) {
        if (s.scheduleId.startsWith(TEMPORAL_ID_PREFIX)) ids.push(s.scheduleId.slice(TEMPORAL_ID_PREFIX.length));
      }
      // The list carries no action args, so each schedule is described; one deleted meanwhile is left out.
      const described = await Promise.all(
        ids.map((id) =>
          this.temporal.schedule
            .getHandle(scheduleTemporalId(id))
            .describe()
            .then(
              (desc) => scheduleSummary(id, desc),
              (err: unknown) => {
                if (err instanceof ScheduleNotFoundError) return undefined;
                throw err;
              },
            ),
        ),
      );
      return described.filter((s) => s !== undefined).filter((s) => visible(s.namespace));
    });
    return { items: items.sort((a, b) => a.id.localeCompare(b.id)) };
  }

  /** `access` refuses a caller who may not act on the schedule's namespace, before anything is shown or changed. */
  async get(id: string, access: NamespaceAccess): Promise<CapacitySchedule> {
    return scheduleView(id, await this.describeFor(this.handleOf(id), access));
  }

  async update(
    id: string,
    body: PatchCapacitySchedule,
    stamp: AuditStamp,
    access: NamespaceAccess,
  ): Promise<CapacitySchedule> {
    const handle = this.handleOf(id);
    const desc = await this.describeFor(handle, access);
    const def = patchedDefinition(readDefinition(desc), body);
    // An `at` left as it was may already have fired; only a new one must lie ahead.
    const lead = this.leadOf(def, validateDefinition(def, Date.now(), body.at !== undefined));
    this.checkGuardrails(def);
    if (body.trus !== undefined) await this.checkTrus(def);

    await this.deadline(() =>
      handle.update((current) => ({
        spec: scheduleSpec(def, lead.ms),
        action: scheduleAction(id, def, this.config, withEntry(readAudit(current), 'patch', stamp), lead),
        policies: schedulePolicies(def),
        state: {
          paused: current.state.paused,
          note: body.note ?? current.state.note,
          ...(def.at !== undefined && { remainingActions: body.at !== undefined ? 1 : current.state.remainingActions }),
        },
      })),
    );
    this.logger.info({ scheduleId: handle.scheduleId, changed: Object.keys(body) }, 'capacity schedule changed');
    return scheduleView(id, await this.describe(handle));
  }

  async setPaused(
    id: string,
    paused: boolean,
    note: string | undefined,
    stamp: AuditStamp,
    access: NamespaceAccess,
  ): Promise<CapacitySchedule> {
    const handle = this.handleOf(id);
    const current = await this.describeFor(handle, access);
    // Temporal needs a non-empty note to pause or unpause: without one given, the current note stays.
    const text = note || current.state.note || (paused ? 'paused' : 'unpaused');
    await this.deadline(() => (paused ? handle.pause(text) : handle.unpause(text)));
    await this.recordAudit(handle, paused ? 'pause' : 'unpause', stamp);
    return scheduleView(id, await this.describe(handle));
  }

  async trigger(id: string, stamp: AuditStamp, access: NamespaceAccess): Promise<ScheduleTriggered> {
    const handle = this.handleOf(id);
    const desc = await this.describeFor(handle, access);
    if (desc.info.runningActions.length > 0) {
      throw new ApiError(409, 'WINDOW_ALREADY_RUNNING', `a window of schedule ${id} is running; wait for it to end`);
    }
    const triggeredAt = new Date().toISOString();
    // SKIP, like the schedule itself: should a scheduled run start meanwhile, the manual one is dropped, not stacked.
    await this.deadline(() => handle.trigger('SKIP'));
    await this.recordAudit(handle, 'trigger', stamp);
    this.logger.info({ scheduleId: handle.scheduleId }, 'capacity schedule triggered');
    return { id, triggeredAt };
  }

  /** Deletes the schedule; with `cancelRunning`, its running windows are cancelled first (they revert at once). */
  async delete(id: string, cancelRunning: boolean, access: NamespaceAccess): Promise<void> {
    const handle = this.handleOf(id);
    await this.describeFor(handle, access);
    if (cancelRunning) {
      // Paused first, so that no run starts between reading the running windows and deleting the schedule.
      await this.deadline(() => handle.pause('deleting'));
      const { info } = await this.describe(handle);
      await this.deadline(() => Promise.all(info.runningActions.map(({ workflow }) => this.cancelWindow(workflow))));
      this.logger.info(
        { scheduleId: handle.scheduleId, cancelled: info.runningActions.length },
        'running windows cancelled',
      );
    }
    await this.deadline(() => handle.delete());
    this.logger.info({ scheduleId: handle.scheduleId }, 'capacity schedule deleted');
  }

  private async cancelWindow(workflow: { workflowId: string; firstExecutionRunId: string }): Promise<void> {
    try {
      const { workflowId, firstExecutionRunId } = workflow;
      await this.temporal.workflow.getHandle(workflowId, undefined, { firstExecutionRunId }).cancel();
    } catch (err) {
      // Ended on its own meanwhile: nothing left to cancel.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  private deadline<R>(fn: () => Promise<R>): Promise<R> {
    return withTemporalDeadline(this.temporal, fn);
  }

  private handleOf(id: string): ScheduleHandle {
    if (!isScheduleId(id)) throw new ApiError(404, 'SCHEDULE_NOT_FOUND', 'no capacity schedule with this id');
    return this.temporal.schedule.getHandle(scheduleTemporalId(id));
  }

  private describe(handle: ScheduleHandle) {
    return this.deadline(() => handle.describe());
  }

  private async describeFor(handle: ScheduleHandle, access: NamespaceAccess) {
    const desc = await this.describe(handle);
    access(readDefinition(desc).namespace);
    return desc;
  }

  /** Appends an entry to the audit trail the schedule's action memo keeps; everything else stays as it is. */
  private async recordAudit(handle: ScheduleHandle, action: string, stamp: AuditStamp): Promise<void> {
    await this.deadline(() =>
      handle.update((current) => {
        const memo = current.action.memo as unknown as ScheduleActionMemo;
        const audit = withEntry(readAudit(current), action, stamp);
        return { ...current, action: { ...current.action, memo: { ...memo, schedule: { ...memo.schedule, audit } } } };
      }),
    );
  }

  private leadOf(def: ScheduleDefinition, smallestGapMs: number | undefined): ScheduleLead {
    return scheduleLead(def, this.config.policy.provisioningLeadMs ?? 0, smallestGapMs, Date.now());
  }

  private async checkTrus(def: ScheduleDefinition): Promise<void> {
    const check = this.capacity.checkTrus(await this.capacity.readTruOptions(def.namespace), def.trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);
  }

  /** Every run is a window: the guardrails apply to each, at creation here and again when each run starts. */
  private checkGuardrails(def: ScheduleDefinition): void {
    const violation = checkGuardrails(this.config.guardrails, {
      namespace: def.namespace,
      trus: def.trus,
      windowMs: parseIsoDuration(def.duration) ?? null,
      acknowledgeShortWindow: def.acknowledgeShortWindow,
    });
    if (violation) throw new ApiError(422, violation.code, violation.message);
  }
}
