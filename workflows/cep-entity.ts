import { ApplicationFailure } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CepAggregate, CepCommand, CepDecision } from '../domain/cep-aggregate';
import { applyCep, decideCep, openPeriod } from '../domain/cep-aggregate';
import { closeForInactivity, inactivityClosureDate } from '../domain/cep-lifecycle';
import type { CepEvent } from '../domain/cep-schemas';
import type { CepState } from '../domain/cep-state';
import type { Clock } from '../domain/lifecycle';
import type { CepCarried, CepEventMessage, CepEventResult, CepWorkflowInput } from './cep-messages';
import { cepWorkflowId } from './cep-messages';
import { RecordEntity } from './record-entity';
import { cepSearchAttributeChanges } from './search-attributes';

const clock = (): Clock => ({ now: new Date().toISOString() });
const today = (): string => clock().now.slice(0, 10);

/**
 * One living CEP period's state and decisions (the dossier's entity pattern): the workflow
 * function (cep-workflow.ts) wires its handlers here and runs the activities; no I/O here.
 */
export class CepEntity extends RecordEntity<CepState, CepEvent> {
  private constructor(agg: CepAggregate, carried: Omit<CepCarried, 'v' | 'agg'>, maxUpdatesPerRun?: number) {
    super(agg, carried, maxUpdatesPerRun);
  }

  /** A new period, or one carried over from the run before. */
  static start(input: CepWorkflowInput): CepEntity {
    if (input.carried) return new CepEntity(input.carried.agg, input.carried, input.maxUpdatesPerRun);
    if (!input.open) throw ApplicationFailure.nonRetryable('cepWorkflow needs open or carried', 'BAD_INPUT');
    const entity = new CepEntity(
      openPeriod(input.open),
      { projectedVersion: 0, vouchKey: input.vouchKey ?? null },
      input.maxUpdatesPerRun,
    );
    entity.runIds.push(input.open.body.eventId);
    return entity;
  }

  /** What the next run starts from. */
  carried(): CepCarried {
    return { v: 1, ...this.carriedRecord() };
  }

  /** A period's messages are vouched for its workflow id: never mistaken for a dossier's. */
  protected readonly noun = 'period';

  protected vouchedId(): string {
    return cepWorkflowId(this.agg.state.periodeId);
  }

  protected decide(cmd: CepCommand) {
    return decideCep(this.agg, cmd, clock());
  }

  protected apply(cmd: CepCommand, decision: CepDecision): CepAggregate {
    return applyCep(this.agg, cmd, decision, clock());
  }

  protected attributeChanges(before: CepState, after: CepState) {
    return cepSearchAttributeChanges(before, after);
  }

  /** An accepted event (RecordEntity.acceptEvent). */
  onEvent(cmd: CepEventMessage, upsert: (changes: SearchAttributeUpdatePair[]) => void): CepEventResult {
    return this.acceptEvent(cmd, upsert);
  }

  /** The day the period closes by itself, unless news comes first; null once closed. */
  closesOn(): string | null {
    return inactivityClosureDate(this.agg.state);
  }

  /** Six months without news have passed: the period closes, motif SANS_NOUVELLES. */
  closeIfSilent(upsert: (changes: SearchAttributeUpdatePair[]) => void): void {
    const on = this.closesOn();
    if (on === null || today() < on) return;
    const before = this.agg.state;
    this.agg = { ...this.agg, state: closeForInactivity(before, clock()) };
    this.upsertChanges(before, upsert);
  }

  /** Closed (follow-up after closure comes in a later slice of issue 15). */
  finished(): boolean {
    return this.agg.state.statut === 'CLOSE';
  }
}
