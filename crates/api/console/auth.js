// Signing in and signing up.

import { byId, formValues, submitting } from './dom.js';

/** Wires the two forms; `onSession({user, token})` runs after either succeeds. */
export function setUpAuth(api, onSession) {
  const error = byId('auth-error');

  const signIn = byId('sign-in');
  signIn.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(signIn, error, async () => {
      const { email, password } = formValues(signIn);
      const session = await api.signIn(email, password);
      signIn.reset();
      onSession(session);
    });
  });

  const signUp = byId('sign-up');
  signUp.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(signUp, error, async () => {
      const session = await api.signUp(formValues(signUp));
      signUp.reset();
      onSession(session);
    });
  });
}

/** Shows the sign-in page, with `notice` (e.g. why the session ended) if any. */
export function showAuth(notice = '') {
  byId('shell').hidden = true;
  byId('auth').hidden = false;
  byId('auth-error').textContent = notice;
  byId('sign-in-email').focus();
}
