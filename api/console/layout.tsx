import type { Child, FC } from 'hono/jsx';
import { raw } from 'hono/html';
import { CsrfContext } from './csrf';

const CSS = `
:root { --ink:#1e1e2e; --muted:#5b6170; --line:#d9dce3; --bg:#f6f7f9; --card:#fff; --accent:#000091;
  --ok:#18753c; --warn:#b34000; --wait:#6a6a6a; --na:#8a5a00; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font-size:15px; line-height:1.45; }
a { color:var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline:3px solid #0a76f6; outline-offset:2px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:9; }
header.top { background:#fff; border-bottom:3px solid var(--accent); }
header.top .in { max-width:1200px; margin:0 auto; padding:10px 20px; display:flex; gap:24px; align-items:center; flex-wrap:wrap; }
header.top .brand { font-weight:700; font-size:18px; color:var(--ink); text-decoration:none; }
header.top nav { display:flex; gap:16px; flex:1; }
header.top nav a { text-decoration:none; font-weight:600; padding:4px 0; }
header.top nav a[aria-current=page] { border-bottom:2px solid var(--accent); }
header.top .who { color:var(--muted); font-size:13px; display:flex; gap:10px; align-items:center; }
main { max-width:1200px; margin:0 auto; padding:20px; }
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
form.filters { display:flex; flex-wrap:wrap; gap:10px; align-items:flex-end; }
form.filters label, .field label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); gap:3px; }
input, select, button { font:inherit; padding:6px 8px; border:1px solid #8d92a0; border-radius:4px; background:#fff; color:var(--ink); }
button, .button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; text-decoration:none; padding:6px 14px; border-radius:4px; }
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
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; } dl.facts dt { color:var(--muted); }
.pager { display:flex; gap:12px; margin-top:12px; }
.narrow { max-width:520px; margin:40px auto; } .info { background:#e8edff; border:1px solid #b7c4f5; padding:10px 14px; border-radius:6px; margin-bottom:16px; }
.error { background:#fee9e5; border:1px solid #f3b4a5; color:#7a1f0c; padding:10px 14px; border-radius:6px; margin-bottom:16px; }
.chart text { font-size:12px; fill:var(--ink); } .chart .bar { fill:var(--accent); } .chart .bar2 { fill:#18753c; }
.sr { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
@media (max-width: 800px) { .strip { grid-template-columns:repeat(3, 1fr); } }
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
}> = ({ title, section, user, admin, cep, children }) => (
  <html lang="fr">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · agora-flow`}</title>
      <style>{raw(CSS)}</style>
    </head>
    <body>
      <a class="skip" href="#contenu">
        Aller au contenu
      </a>
      <header class="top">
        <div class="in">
          <a class="brand" href="/console">
            agora-flow
          </a>
          {user ? (
            <nav aria-label="Navigation principale">
              <a href="/console" aria-current={section === 'tableau' ? 'page' : undefined}>
                Tableau de bord
              </a>
              <a href="/console/dossiers" aria-current={section === 'dossiers' ? 'page' : undefined}>
                Dossiers
              </a>
              <a
                href="/console/remunerations"
                aria-current={section === 'remunerations' ? 'page' : undefined}
              >
                Rémunérations
              </a>
              {cep?.periods ? (
                <a href="/console/cep" aria-current={section === 'cep' ? 'page' : undefined}>
                  Périodes CEP
                </a>
              ) : null}
              {cep?.figures ? (
                <a href="/console/cep/tableau" aria-current={section === 'cep-tableau' ? 'page' : undefined}>
                  Tableau CEP
                </a>
              ) : null}
              {admin ? (
                <a href="/console/anomalies" aria-current={section === 'anomalies' ? 'page' : undefined}>
                  Anomalies
                </a>
              ) : null}
            </nav>
          ) : (
            <nav aria-label="Navigation principale" />
          )}
          {user ? (
            <div class="who">
              <span>
                {user.agent ? <strong>{user.agent}</strong> : null}
                {user.agent ? ' · ' : null}
                {user.partner}
              </span>
              <form method="post" action="/console/deconnexion">
                <input type="hidden" name="_csrf" value={user.csrf} />
                <button class="link" type="submit">
                  Se déconnecter
                </button>
              </form>
            </div>
          ) : null}
        </div>
      </header>
      <main id="contenu">
        <CsrfContext.Provider value={user?.csrf ?? ''}>{children}</CsrfContext.Provider>
      </main>
    </body>
  </html>
);
