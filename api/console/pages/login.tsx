import type { FC } from 'hono/jsx';

/** `proconnect`: an outside provider (AGORA_OIDC_*); `embedded`: the platform's own under /oidc. */
export type SignInMode = 'proconnect' | 'embedded';

const Notice: FC<{ error?: string | undefined; info?: string | undefined }> = ({ error, info }) => (
  <>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    {info ? (
      <p class="info" role="status">
        {info}
      </p>
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
            <a class="button proconnect" href={start}>
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
            <a class="button" href={start}>
              Se connecter
            </a>
          </p>
        </>
      )}
      <details>
        <summary>Administration de la plateforme</summary>
        <form method="post" action="/console/connexion" class="field">
          <input type="hidden" name="retour" value={returnTo} />
          <label>
            Jeton d'administration
            <input type="password" name="token" required autocomplete="off" />
          </label>
          <p>
            <button type="submit">Se connecter comme administrateur</button>
          </p>
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
    <form method="post" action={action} class="field">
      <p>
        <label>
          Adresse électronique
          <input type="email" name="email" required autocomplete="username" value={email ?? ''} autofocus />
        </label>
      </p>
      <p>
        <label>
          Mot de passe
          <input type="password" name="motDePasse" required autocomplete="current-password" />
        </label>
      </p>
      <p>
        <button type="submit">Se connecter</button>
      </p>
    </form>
  </div>
);
