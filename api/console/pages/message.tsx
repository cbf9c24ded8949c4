import type { FC } from 'hono/jsx';

export const MessagePage: FC<{ title: string; message: string; link?: { href: string; text: string } }> = ({
  title,
  message,
  link = { href: '/console/dossiers', text: 'Retour aux dossiers' },
}) => (
  <div class="card">
    <h1>{title}</h1>
    <p>{message}</p>
    <p>
      <a href={link.href}>{link.text}</a>
    </p>
  </div>
);
