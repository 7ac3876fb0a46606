/** Asks for the service's token (ANOMALOG_AUTH_TOKEN) when the API refuses the page without it. */
import { h, replaceContent } from './dom.js';

/**
 * `check` tries a token and resolves with null when the service takes it, or
 * with what to tell the person when it does not.
 */
export function askToken(main: HTMLElement, notice: string | null, check: (token: string) => Promise<string | null>): void {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const error = h('p', { id: 'token-error', class: 'error', role: 'alert' }, notice ?? '');
  const submit = h('button', { type: 'submit' }, 'Open the console');
  const form = h('form', { class: 'token' },
    h('label', { for: 'token' }, 'Access token'),
    input,
    submit,
    error);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    submit.disabled = true;
    error.textContent = '';
    void check(token).then((problem) => {
      if (problem === null) return;
      submit.disabled = false;
      error.textContent = problem;
      input.select();
      input.focus();
    });
  });
  replaceContent(
    main,
    h('h1', { tabindex: -1 }, 'Sign in'),
    h('p', { id: 'token-help' }, 'This anomalog service needs its access token (ANOMALOG_AUTH_TOKEN). The console keeps it in this tab only and sends it with each request.'),
    form,
  );
  input.focus();
}
