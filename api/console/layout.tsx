import type { Child, FC } from 'hono/jsx';
import { raw } from 'hono/html';
import { CsrfContext } from './csrf';
import { DSFR_BASE } from './assets';

const CSS = `
:root { --ink:#161616; --muted:#555; --line:#ddd; --bg:#f6f6f6; --card:#fff; --accent:#000091;
  --ok:#18753c; --warn:#b34000; --wait:#666; --na:#7a5200; }
* { box-sizing: border-box; }
main.agora { background:var(--bg); padding:24px 0 40px; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #0a76f6; outline-offset:2px; }
h1 { font-size:24px; margin:4px 0 16px; } h2 { font-size:18px; margin:0 0 10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; margin-bottom:16px; }
.grid { display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(320px, 1fr)); }
.card.wide { grid-column:1 / -1; overflow-x:auto; }
.kpis { display:flex; gap:16px; flex-wrap:wrap; margin-bottom:16px; }
.kpi { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; min-width:150px; }
.kpi b { display:block; font-size:24px; } .kpi span { color:var(--muted); font-size:13px; }
table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; } td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:2px 10px; border-radius:12px; font-size:13px; font-weight:600; background:#e3e3fd; color:var(--accent); }
.badge.clos { background:#e8edff; } .badge.warn { background:#fee9e5; color:var(--warn); }
form.filters { display:flex; flex-wrap:wrap; gap:12px 16px; align-items:flex-end; } form.filters > label:not(.check) { flex:1 1 170px; } form.filters label.check { flex-direction:row; align-items:center; gap:6px; color:var(--ink); padding-bottom:10px; } form.filters .fr-input, form.filters .fr-select { margin-top:4px; } form.filters .date-range { flex:1 1 300px; display:flex; gap:8px; margin:0; padding:0; border:0; align-items:flex-end; } form.filters .date-range legend { font-size:13px; color:var(--muted); margin:0 0 2px; padding:0; width:100%; float:left; } form.filters .date-range label { flex:1 1 120px; }
form.filters label, .field label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:3px; }
input:not([type=hidden]):not([class*=fr-]), select:not([class*=fr-]) { font:inherit; padding:6px 8px; border:1px solid #666; border-radius:4px; background:#fff; color:var(--ink); }
button:not([class*=fr-]), .button { font:inherit; background:var(--accent); color:#fff; border:1px solid var(--accent); cursor:pointer; text-decoration:none; padding:6px 14px; display:inline-block; }
.button[href] { background-image:none; }
button.link { background:none; color:var(--accent); border:none; padding:0; text-decoration:underline; }
.strip { display:grid; grid-template-columns:repeat(6, 1fr); gap:8px; }
.point { border-radius:6px; padding:10px; border:1px solid var(--line); background:#fafafa; min-height:86px; }
.point .when { font-size:12px; color:var(--muted); } .point .what { font-weight:700; margin-top:4px; }
.point.EMPLOI { background:#e6f4ea; border-color:#9bd3ae; } .point.EMPLOI .what { color:var(--ok); }
.point.SANS_EMPLOI { background:#fff4e5; border-color:#f3c58a; } .point.SANS_EMPLOI .what { color:var(--warn); }
.point.NON_DISPONIBLE, .point.SANS_OBJET { background:#f3f0e6; } .point.NON_DISPONIBLE .what, .point.SANS_OBJET .what { color:var(--na); }
.point.EN_ATTENTE .what { color:var(--wait); }
ol.timeline { list-style:none; margin:0; padding:0; border-left:3px solid var(--line); }
ol.timeline li { margin:0 0 14px 0; padding-left:16px; position:relative; }
ol.timeline li::before { content:""; position:absolute; left:-8px; top:6px; width:13px; height:13px; border-radius:50%; background:var(--accent); }
ol.timeline li.RECTIFICATION::before { background:var(--warn); }
.meta { color:var(--muted); font-size:13px; }
ol.strip > li::marker, ol.timeline > li::marker { content:''; } ol.strip, ol.timeline { padding-left:0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; } dl.facts dt { color:var(--muted); }
.pager { display:flex; gap:12px; margin-top:12px; }
.narrow { max-width:520px; margin:40px auto; } .info { background:#e8edff; border:1px solid #b7c4f5; padding:10px 14px; border-radius:6px; margin-bottom:16px; }
.error { background:#fee9e5; border:1px solid #f3b4a5; color:#7a1f0c; padding:10px 14px; border-radius:6px; margin-bottom:16px; }
.chart text { font-size:12px; fill:var(--ink); } .chart .bar { fill:var(--accent); } .chart .bar2 { fill:#18753c; }
.sr { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
@media (max-width: 800px) { .strip { grid-template-columns:repeat(2, minmax(0, 1fr)); } .point { overflow-wrap:anywhere; }
  table.cards thead { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display:block; width:100%; }
  table.cards tr { border:1px solid var(--line); border-radius:6px; margin-bottom:10px; padding:6px 4px; background:#fff; }
  table.cards td { border:none; padding:3px 8px; }
  table.cards td::before { content:attr(data-label); display:block; font-size:12px; color:var(--muted); }
  .grid { grid-template-columns:1fr; } dl.facts { grid-template-columns:1fr; } dl.facts dd { margin:0 0 6px; }
  .card table:not(.cards) { table-layout:fixed; font-size:13px; } .card th, .card td { overflow-wrap:anywhere; padding:4px; } }
`;

export type Section = 'tableau' | 'dossiers' | 'remunerations' | 'cep' | 'cep-tableau' | 'anomalies' | null;

export const Layout: FC<{
  title: string;
  section: Section;
  /** The signed-in user: the agent and the partner's name, and the session's CSRF token. */
  user?: { agent: string | null; partner: string; csrf: string };
  admin?: boolean;
  /** The CEP pages the caller may use (domain/authorization.ts `cepAccess`). */
  cep?: { periods: boolean; figures: boolean };
  children?: Child;
}> = ({ title, section, user, admin, cep, children }) => {
  const links: { href: string; label: string; on: Section }[] = user
    ? [
        { href: '/console', label: 'Tableau de bord', on: 'tableau' },
        { href: '/console/dossiers', label: 'Dossiers', on: 'dossiers' },
        { href: '/console/remunerations', label: 'Rémunérations', on: 'remunerations' },
        ...(cep?.periods ? [{ href: '/console/cep', label: 'Périodes CEP', on: 'cep' as const }] : []),
        ...(cep?.figures
          ? [{ href: '/console/cep/tableau', label: 'Tableau CEP', on: 'cep-tableau' as const }]
          : []),
        ...(admin ? [{ href: '/console/anomalies', label: 'Anomalies', on: 'anomalies' as const }] : []),
      ]
    : [];
  return (
    <html lang="fr" data-fr-scheme="light">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no" />
        <meta name="format-detection" content="telephone=no" />
        <link rel="stylesheet" href={`${DSFR_BASE}/dsfr.min.css`} />
        <link rel="icon" href={`${DSFR_BASE}/favicon/favicon.svg`} type="image/svg+xml" />
        <title>{`${title} · agora-flow`}</title>
        <style>{raw(CSS)}</style>
      </head>
      <body>
        <div class="fr-skiplinks">
          <nav class="fr-container" role="navigation" aria-label="Accès rapide">
            <ul class="fr-skiplinks__list">
              <li>
                <a class="fr-link" href="#contenu">
                  Contenu
                </a>
              </li>
              {user ? (
                <li>
                  <a class="fr-link" href="#navigation">
                    Menu
                  </a>
                </li>
              ) : null}
              <li>
                <a class="fr-link" href="#pied">
                  Pied de page
                </a>
              </li>
            </ul>
          </nav>
        </div>
        <header role="banner" class="fr-header">
          <div class="fr-header__body">
            <div class="fr-container">
              <div class="fr-header__body-row">
                <div class="fr-header__brand fr-enlarge-link">
                  <div class="fr-header__brand-top">
                    <div class="fr-header__logo">
                      <p class="fr-logo">
                        République
                        <br />
                        Française
                      </p>
                    </div>
                    {user ? (
                      <div class="fr-header__navbar">
                        <button
                          class="fr-btn--menu fr-btn"
                          data-fr-opened="false"
                          aria-controls="menu-principal"
                          aria-haspopup="menu"
                          id="bouton-menu"
                          title="Menu"
                        >
                          Menu
                        </button>
                      </div>
                    ) : null}
                  </div>
                  <div class="fr-header__service">
                    <a href="/console" title="Accueil - agora-flow">
                      <p class="fr-header__service-title">agora-flow</p>
                    </a>
                    <p class="fr-header__service-tagline">Dossiers de formation et insertion dans l'emploi</p>
                  </div>
                </div>
                {user ? (
                  <div class="fr-header__tools">
                    <div class="fr-header__tools-links who">
                      <ul class="fr-btns-group">
                        <li>
                          <span class="fr-btn fr-btn--tertiary-no-outline who-name">
                            {user.agent ? <strong>{user.agent}</strong> : null}
                            {user.agent ? ' · ' : null}
                            {user.partner}
                          </span>
                        </li>
                        <li>
                          <form method="post" action="/console/deconnexion">
                            <input type="hidden" name="_csrf" value={user.csrf} />
                            <button class="fr-btn" type="submit">
                              Se déconnecter
                            </button>
                          </form>
                        </li>
                      </ul>
                    </div>
                  </div>
                ) : null}
              </div>
            </div>
          </div>
          {user ? (
            <div class="fr-header__menu fr-modal" id="menu-principal" aria-labelledby="bouton-menu">
              <div class="fr-container">
                <button class="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer">
                  Fermer
                </button>
                <div class="fr-header__menu-links"></div>
                <nav class="fr-nav" id="navigation" role="navigation" aria-label="Menu principal">
                  <ul class="fr-nav__list">
                    {links.map((l) => (
                      <li class="fr-nav__item">
                        <a
                          class="fr-nav__link"
                          href={l.href}
                          target="_self"
                          aria-current={section === l.on ? 'page' : undefined}
                        >
                          {l.label}
                        </a>
                      </li>
                    ))}
                  </ul>
                </nav>
              </div>
            </div>
          ) : null}
        </header>
        <main id="contenu" role="main" class="agora">
          <div class="fr-container">
            <CsrfContext.Provider value={user?.csrf ?? ''}>{children}</CsrfContext.Provider>
          </div>
        </main>
        <footer class="fr-footer" role="contentinfo" id="pied">
          <div class="fr-container">
            <div class="fr-footer__body">
              <div class="fr-footer__brand fr-enlarge-link">
                <a href="/console" title="Retour à l'accueil - agora-flow">
                  <p class="fr-logo">
                    République
                    <br />
                    Française
                  </p>
                </a>
              </div>
              <div class="fr-footer__content">
                <p class="fr-footer__content-desc">
                  agora-flow suit les dossiers de formation professionnelle, de la validation du financement à
                  l'insertion dans l'emploi douze mois après la sortie.
                </p>
                <ul class="fr-footer__content-list">
                  {['info.gouv.fr', 'service-public.fr', 'legifrance.gouv.fr', 'data.gouv.fr'].map((site) => (
                    <li class="fr-footer__content-item">
                      <a class="fr-footer__content-link" href={`https://www.${site}`} rel="noopener">
                        {site}
                      </a>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
            <div class="fr-footer__bottom">
              <ul class="fr-footer__bottom-list">
                <li class="fr-footer__bottom-item">
                  <a class="fr-footer__bottom-link" href="/console/accessibilite">
                    Accessibilité : non conforme
                  </a>
                </li>
                <li class="fr-footer__bottom-item">
                  <a class="fr-footer__bottom-link" href="/console/mentions-legales">
                    Mentions légales
                  </a>
                </li>
                <li class="fr-footer__bottom-item">
                  <a class="fr-footer__bottom-link" href="/console/mentions-legales#donnees">
                    Données personnelles
                  </a>
                </li>
              </ul>
              <div class="fr-footer__bottom-copy">
                <p>
                  Sauf mention contraire, les contenus de ce site sont proposés sous{' '}
                  <a href="https://github.com/etalab/licence-ouverte/blob/master/LO.md" rel="noopener">
                    licence etalab-2.0
                  </a>
                </p>
              </div>
            </div>
          </div>
        </footer>
        <script type="module" src={`${DSFR_BASE}/dsfr.module.min.js`}></script>
        <script noModule src={`${DSFR_BASE}/dsfr.nomodule.min.js`}></script>
      </body>
    </html>
  );
};
