import type { FC } from 'hono/jsx';

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <div class="card" style="max-width:480px;margin:40px auto">
    <h1>Connexion</h1>
    <p>
      Collez le jeton d'accès de votre organisation (celui de l'API). Il est gardé dans un cookie protégé.
    </p>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    <form method="post" action="/console/connexion" class="field">
      <label>
        Jeton d'accès
        <input type="password" name="token" required autocomplete="off" autofocus style="width:100%" />
      </label>
      <p>
        <button type="submit">Se connecter</button>
      </p>
    </form>
  </div>
);
