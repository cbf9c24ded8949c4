import type { FC } from 'hono/jsx';

/** `proconnect`: an outside provider (AGORA_OIDC_*); `embedded`: the platform's own under /oidc. */
export type SignInMode = 'proconnect' | 'embedded';

const Notice: FC<{ error?: string | undefined; info?: string | undefined }> = ({ error, info }) => (
  <>
    {error ? (
      <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-3w" role="alert">
        <p>{error}</p>
      </div>
    ) : null}
    {info ? (
      <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" role="status">
        <p>{info}</p>
      </div>
    ) : null}
  </>
);

/** The console's sign-in: agents through OpenID Connect; the platform's admin with its token. */
export const LoginPage: FC<{
  mode: SignInMode;
  returnTo: string;
  error?: string | undefined;
  info?: string | undefined;
}> = ({ mode, returnTo, error, info }) => {
  const start = `/console/connexion/oidc?${new URLSearchParams({ retour: returnTo })}`;
  return (
    <div class="card narrow">
      <h1>Connexion</h1>
      <Notice error={error} info={info} />
      <h2>Agents des partenaires</h2>
      {mode === 'proconnect' ? (
        <>
          <p>Connectez-vous avec votre compte professionnel ProConnect.</p>
          <p>
            <a class="fr-btn" href={start}>
              Se connecter avec ProConnect
            </a>
          </p>
        </>
      ) : (
        <>
          <p>
            Connectez-vous avec le compte personnel que l'administration de la plateforme vous a créé (adresse
            électronique et mot de passe).
          </p>
          <p>
            <a class="fr-btn" href={start}>
              Se connecter
            </a>
          </p>
        </>
      )}
      <details class="fr-mt-4w">
        <summary>Administration de la plateforme</summary>
        <form method="post" action="/console/connexion">
          <input type="hidden" name="retour" value={returnTo} />
          <div class="fr-input-group">
            <label class="fr-label" for="jeton">
              Jeton d'administration
            </label>
            <input class="fr-input" type="password" id="jeton" name="token" required autocomplete="off" />
          </div>
          <button class="fr-btn fr-btn--secondary" type="submit">
            Se connecter comme administrateur
          </button>
        </form>
      </details>
    </div>
  );
};

/** The embedded provider's sign-in form (its accounts: the agents the admin created). */
export const AgentLoginPage: FC<{
  action: string;
  error?: string | undefined;
  email?: string | undefined;
}> = ({ action, error, email }) => (
  <div class="card narrow">
    <h1>Connexion des agents</h1>
    <Notice error={error} />
    <form method="post" action={action}>
      <div class="fr-input-group">
        <label class="fr-label" for="email">
          Adresse électronique
          <span class="fr-hint-text">Format attendu : nom@domaine.fr</span>
        </label>
        <input
          class="fr-input"
          type="email"
          id="email"
          name="email"
          required
          autocomplete="username"
          value={email ?? ''}
        />
      </div>
      <div class="fr-input-group">
        <label class="fr-label" for="mot-de-passe">
          Mot de passe
        </label>
        <input
          class="fr-input"
          type="password"
          id="mot-de-passe"
          name="motDePasse"
          required
          autocomplete="current-password"
        />
      </div>
      <button class="fr-btn" type="submit">
        Se connecter
      </button>
    </form>
  </div>
);
