import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../infra/logger';
import type { Actor, PartnerActor } from '../domain/authorization';
import { matchDossier } from '../domain/certification';
import { ResultatBody } from '../domain/certification-schemas';
import type { ResultStatut } from '../domain/code-lists';
import type { CertificationEvent } from '../domain/schemas';
import type { StoredResult } from '../db/certification-results';
import {
  certCandidates,
  markAttached,
  readResult,
  saveResult,
  traineesWithMatchableResults,
  waitingResults,
} from '../db/certification-results';
import { certifierListed, unknownBlocs } from '../db/referentiel';
import { recordRejection } from '../db/rejections';
import { bodyHash } from '../infra/canonical-hash';
import type { DossierGateway } from './dossier-gateway';
import { ApiError, toApiError, validationError } from './errors';

/** What one result answers (CONTRACT.md): attached, waiting for its dossier, or refused and why. */
export interface ResultAnswer {
  resultatId: string | null;
  statut: ResultStatut;
  dossierId?: string;
  error?: { code: string; message: string; details?: unknown };
}

/**
 * Certification results (CONTRACT.md, "Certification results"): a certifier's result finds its
 * dossier (by id, or by the trainee's NIR and the certification's dates) and goes through the
 * dossier's workflow as a CERTIFICATION event whose eventId is the `resultatId`; one that finds
 * none waits in PostgreSQL and is attached when such a dossier appears (`attachWaiting`).
 */
export function createCertificationService(deps: {
  orm: MikroORM;
  gateway: Pick<DossierGateway, 'send'>;
  hashNir: (nir: string) => Buffer;
  logger: Logger;
}) {
  const { orm, gateway, hashNir, logger } = deps;

  const refused = (resultatId: string | null, e: ApiError): ResultAnswer => ({
    resultatId,
    statut: 'REFUSE',
    error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) },
  });

  /** The CERTIFICATION event a result makes on its dossier. */
  const eventOf = (r: StoredResult): CertificationEvent => ({
    eventId: r.resultatId,
    type: 'CERTIFICATION',
    date: r.dateObtention,
    certification: r.certification,
    obtention: r.obtention,
    blocs: r.blocs,
    modaliteAcces: r.modaliteAcces,
  });

  /** Send the result to its dossier: null when accepted (or already there), else the refusal. */
  const attach = async (
    dossierId: string,
    result: StoredResult,
    actor: Actor,
    receivedAt: string,
  ): Promise<ApiError | null> => {
    try {
      await gateway.send(dossierId, eventOf(result), actor, receivedAt);
      return null;
    } catch (e) {
      const err = toApiError(e, () => undefined);
      if (err.code === 'INTERNAL' || err.code === 'UNAVAILABLE') throw e;
      // No such dossier, or not one of this certification: the same answer (nothing is told of a
      // dossier the certifier does not see).
      if (err.code === 'NOT_FOUND' || err.code === 'NO_MATCH') {
        return new ApiError(
          'NO_MATCH',
          `no dossier ${dossierId} aims at ${result.certification}: check the titulaire's dossierId and the certification`,
          { dossierId, certification: result.certification },
        );
      }
      return err;
    }
  };

  /**
   * A certifier's result: checked, matched, attached or kept waiting; a refusal is kept in the
   * partner's data-quality log (`GET /v1/quality/rejections`) as a refused CERTIFICATION event.
   */
  async function submit(
    actor: PartnerActor,
    raw: unknown,
    receivedAt: string,
    listedCache: Map<string, boolean | null> = new Map(),
  ): Promise<ResultAnswer> {
    const answer = await decide(actor, raw, receivedAt, listedCache);
    if (answer.statut === 'REFUSE' && answer.error) {
      const titulaire = (raw as { titulaire?: { dossierId?: unknown } } | null)?.titulaire;
      const dossierId = typeof titulaire?.dossierId === 'string' ? titulaire.dossierId.slice(0, 64) : null;
      try {
        await recordRejection(orm.em.fork(), {
          partnerSiret: actor.siret,
          dossierId,
          eventId: answer.resultatId?.slice(0, 128) ?? null,
          eventType: 'CERTIFICATION',
          code: answer.error.code,
          message: answer.error.message.slice(0, 2000),
        });
      } catch (err) {
        logger.warn({ err }, 'could not record a rejection');
      }
    }
    return answer;
  }

  async function decide(
    actor: PartnerActor,
    raw: unknown,
    receivedAt: string,
    listedCache: Map<string, boolean | null>,
  ): Promise<ResultAnswer> {
    const rawId =
      raw && typeof raw === 'object' && typeof (raw as { resultatId?: unknown }).resultatId === 'string'
        ? (raw as { resultatId: string }).resultatId
        : null;
    const parsed = ResultatBody.safeParse(raw);
    if (!parsed.success) return refused(rawId, validationError(parsed.error, 'body'));
    const { titulaire, resultatId, ...fields } = parsed.data;
    const result: StoredResult = { resultatId, ...fields };
    const em = orm.em.fork();

    let listed = listedCache.get(result.certification);
    if (listed === undefined) {
      listed = await certifierListed(em, result.certification, actor.siret);
      listedCache.set(result.certification, listed);
    }
    if (listed === false) {
      return refused(
        resultatId,
        new ApiError(
          'FORBIDDEN',
          `the RNCP/RS referential does not list ${actor.siret} as a certifier of ${result.certification}: a result comes from a certifier of its certification`,
          { certification: result.certification },
        ),
      );
    }

    // With a referential, the blocks are those it lists for the certification.
    const unknown = listed === true ? await unknownBlocs(em, result.certification, result.blocs) : [];
    if (unknown.length > 0) {
      return refused(
        resultatId,
        new ApiError(
          'VALIDATION_ERROR',
          `the RNCP/RS referential lists no block ${unknown.join(', ')} for ${result.certification}`,
          unknown.map(() => ({ path: 'body.blocs', message: 'not a block of this certification' })),
        ),
      );
    }
    // The body's hash, with the NIR under its keyed hash (the stored hash reveals no identity).
    const nirHash = 'nir' in titulaire ? hashNir(titulaire.nir) : null;
    const hashed = {
      eventId: resultatId,
      ...fields,
      titulaire: 'nir' in titulaire ? { ...titulaire, nir: nirHash!.toString('hex') } : titulaire,
    };
    const hash = bodyHash(hashed);
    const stored = await readResult(em, actor.siret, resultatId);
    if (stored && stored.bodyHash !== hash) {
      return refused(
        resultatId,
        new ApiError(
          'EVENT_ID_CONFLICT',
          `resultatId ${resultatId} was already used with a different result; use a new resultatId for a new result`,
          { resultatId },
        ),
      );
    }
    if (stored?.statut === 'RAPPROCHE') {
      return { resultatId, statut: 'RAPPROCHE', dossierId: stored.dossierId! };
    }

    let dossierId: string | null;
    if ('dossierId' in titulaire) dossierId = titulaire.dossierId;
    else dossierId = matchDossier(result, await certCandidates(em, nirHash!));
    // Attached first (a crash before the save leaves nothing: the same result sent again attaches
    // again, idempotently), then kept: attached, or waiting (dossierId null).
    if (dossierId !== null) {
      const refusal = await attach(dossierId, result, actor, receivedAt);
      if (refusal) return refused(resultatId, refusal);
    }
    await saveResult(em, {
      certificateurSiret: actor.siret,
      bodyHash: hash,
      dossierId,
      nirHash,
      result,
      receivedAt,
    });
    return dossierId === null
      ? { resultatId, statut: 'NON_RAPPROCHE' }
      : { resultatId, statut: 'RAPPROCHE', dossierId };
  }

  /**
   * A dossier of this trainee appeared or entered training: the results waiting for one (found by
   * an index on the trainee's hash) attach where they match. A failure is logged: the result
   * keeps waiting, for the next change of the trainee's dossiers or its certifier's resending.
   */
  async function attachWaiting(nirHash: Buffer, receivedAt: string): Promise<void> {
    try {
      const em = orm.em.fork();
      const waiting = await waitingResults(em, nirHash);
      if (waiting.length === 0) return;
      const candidates = await certCandidates(em, nirHash);
      for (const row of waiting) {
        const dossierId = matchDossier(row.result, candidates);
        if (dossierId === null) continue;
        const certifier: Actor = {
          admin: false,
          partnerId: 'platform',
          siret: row.certificateurSiret,
          kind: 'CERTIFICATEUR',
        };
        const refusal = await attach(dossierId, row.result, certifier, receivedAt);
        if (refusal) {
          logger.warn(
            { dossierId, resultatId: row.resultatId, code: refusal.code },
            'a waiting certification result could not be attached',
          );
          continue;
        }
        await markAttached(em, row.certificateurSiret, row.resultatId, dossierId);
      }
    } catch (err) {
      logger.warn({ err }, 'waiting certification results not attached now; they keep waiting');
    }
  }

  /**
   * The results left waiting though their dossier is there (the API died between the dossier's
   * change and the attachment): attached now. Run now and then by every API instance (attaching
   * is idempotent); how many trainees were looked at.
   */
  async function sweepWaiting(receivedAt: string, limit = 100): Promise<number> {
    const trainees = await traineesWithMatchableResults(orm.em.fork(), limit);
    for (const nirHash of trainees) await attachWaiting(nirHash, receivedAt);
    return trainees.length;
  }

  return { submit, attachWaiting, sweepWaiting };
}

export type CertificationService = ReturnType<typeof createCertificationService>;
