import type { FC } from 'hono/jsx';
import { CsrfField } from './csrf';
import { frDate, frInstant } from './labels';

/** What the console's pages share: a list's pages, the head of a timeline's entry. */

/**
 * A data table in the DSFR's markup (bordered, small): on a narrow screen it scrolls inside its
 * frame, never the page.
 */
export const DataTable: FC<{ children?: unknown }> = ({ children }) => (
  <div class="fr-table fr-table--sm fr-table--bordered fr-table--no-caption">
    <div class="fr-table__wrapper">
      <div class="fr-table__container" tabindex={0}>
        <div class="fr-table__content">
          <table>{children}</table>
        </div>
      </div>
    </div>
  </div>
);

/** A list's links to its pages: a link, or (a NIR search) the form posted again with the cursor. */
export const Pager: FC<{
  action: string;
  noun: { first: string; next: string };
  filters: Record<string, string | undefined>;
  next: { url: string } | { cursor: string } | null;
  firstUrl: string | null;
}> = ({ action, noun, filters, next, firstUrl }) => (
  <nav class="pager" aria-label="Pages">
    {firstUrl ? <a href={firstUrl}>« {noun.first}</a> : null}
    {next && 'url' in next ? <a href={next.url}>{noun.next} »</a> : null}
    {next && 'cursor' in next ? (
      <form method="post" action={action}>
        <CsrfField />
        {Object.entries(filters).map(([k, v]) => (v ? <input type="hidden" name={k} value={v} /> : null))}
        <input type="hidden" name="cursor" value={next.cursor} />
        <button type="submit">{noun.next} »</button>
      </form>
    ) : null}
  </nav>
);

/** An accepted event's head in a timeline: what, when, received when and from whom. */
export const EntryHead: FC<{
  label: string;
  e: { date: string; receivedAt: string; source: string; confirmation?: boolean | undefined };
  me?: string | null;
  /** Registered partners' names by SIRET: a source reads as a name. */
  names?: Record<string, string>;
}> = ({ label, e, me, names = {} }) => (
  <>
    <strong>{label}</strong> le {frDate(e.date)}
    {e.confirmation ? <span class="meta"> (confirmation)</span> : null}
    <div class="meta">
      reçu le {frInstant(e.receivedAt)} · source{' '}
      {e.source === 'ADMIN' ? 'plateforme' : names[e.source] ? `${names[e.source]} (${e.source})` : e.source}
      {me && e.source === me ? ' (vous)' : ''}
    </div>
  </>
);
