import { createContext, useContext } from 'hono/jsx';
import type { FC } from 'hono/jsx';

/** The signed-in session's CSRF token, given by the Layout to every form under it. */
export const CsrfContext = createContext('');

/** The hidden field every console form that posts carries (the session's CSRF token). */
export const CsrfField: FC = () => <input type="hidden" name="_csrf" value={useContext(CsrfContext)} />;
