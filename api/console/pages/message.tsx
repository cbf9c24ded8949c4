import type { FC } from 'hono/jsx';

export const MessagePage: FC<{ title: string; message: string }> = ({ title, message }) => (
  <div class="card">
    <h1>{title}</h1>
    <p>{message}</p>
    <p>
      <a href="/console/dossiers">Retour aux dossiers</a>
    </p>
  </div>
);
