import { CreatePartnerBody } from '../../domain/schemas';
import * as partners from '../../db/partners';

import { type Command, UsageError, print, withOrm } from '../context';

export const partnerCreate: Command = async ({ values, json }) => {
  const parsed = CreatePartnerBody.safeParse({
    siret: values.siret,
    name: values.name,
    kind: values.kind,
    ...(values.region ? { region: values.region } : {}),
    ...(values.reseau ? { reseau: values.reseau } : {}),
    ...(values.prefix?.length ? { prefixes: values.prefix } : {}),
  });
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return withOrm(async (orm) => {
    try {
      const { partner, token } = await partners.createPartner(orm.em.fork(), parsed.data);
      print({ id: partner.id, siret: partner.siret, kind: partner.kind, token }, json, () =>
        [
          `partner ${partner.id} created (${partner.kind} ${partner.siret})`,
          `token (shown once): ${token}`,
        ].join('\n'),
      );
      return 0;
    } catch (e) {
      if (e instanceof partners.PartnerExistsError)
        throw new UsageError(`a partner with SIRET ${parsed.data.siret} already exists`);
      if (e instanceof partners.PrefixTakenError) throw new UsageError(e.message);
      throw e;
    }
  });
};

export const partnerToken: Command = async ({ positionals, json }) => {
  const [, , action, partnerId, tokenId] = positionals;
  if (action === 'add' && partnerId) {
    return withOrm(async (orm) => {
      const added = await partners.addToken(orm.em.fork(), partnerId);
      if (!added) throw new UsageError(`no partner ${partnerId}`);
      print(
        { id: added.tokenId, token: added.token },
        json,
        () => `token ${added.tokenId} (shown once): ${added.token}`,
      );
      return 0;
    });
  }
  if (action === 'revoke' && partnerId && tokenId) {
    return withOrm(async (orm) => {
      if (!(await partners.revokeToken(orm.em.fork(), partnerId, tokenId))) {
        throw new UsageError(`partner ${partnerId} has no token ${tokenId}`);
      }
      print({ revoked: tokenId }, json, () => `token ${tokenId} revoked`);
      return 0;
    });
  }
  throw new UsageError(
    'usage: agora partner token add PARTNER_ID | agora partner token revoke PARTNER_ID TOKEN_ID',
  );
};

/** `1 live token`, `2 live tokens`. */
const live = (n: number) => `${n} live token${n === 1 ? '' : 's'}`;

export const partnerList: Command = async ({ json }) => {
  return withOrm(async (orm) => {
    const list = await partners.listPartners(orm.em.fork());
    print(
      list,
      json,
      () =>
        list
          .map(
            (p) =>
              `${p.id}  ${p.siret}  ${p.kind.padEnd(20)} ${p.region ?? '--'}  ${p.name}  (${live(p.tokens.filter((t) => !t.revokedAt).length)})`,
          )
          .join('\n') || 'no partners',
    );
    return 0;
  });
};
