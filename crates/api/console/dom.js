// Small DOM helpers shared by the views.

/** The element with this id; throws if the page lacks it. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * A new element: `h('button', { type: 'button', onclick }, 'Reply')`.
 * Attributes starting with "on" become listeners, `dataset` and `hidden` are
 * set as properties, anything else as an attribute. Children may be strings,
 * nodes, or null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'hidden') el.hidden = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Removes every child of `el`. */
export function clear(el) {
  el.replaceChildren();
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A `<time>` element for an RFC 3339 timestamp: the time, and the day on hover. */
export function timeElement(iso) {
  const date = new Date(iso);
  return h('time', { datetime: iso, title: `${dayFormat.format(date)} ${timeFormat.format(date)}` },
    timeFormat.format(date));
}

/** The form's fields as an object of trimmed strings (checkboxes as booleans). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') values[el.name] = el.checked;
    else values[el.name] = el.value.trim();
  }
  return values;
}

/**
 * Runs `action` for a form submission with the form's buttons disabled, and
 * writes a failure into `errorEl` (cleared on the next try).
 */
export async function submitting(form, errorEl, action) {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  errorEl.textContent = '';
  try {
    await action();
  } catch (err) {
    errorEl.textContent = describe(err);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** A sentence for an error, using the API envelope's details when there are some. */
export function describe(err) {
  if (err && err.envelope) {
    const { message, errors } = err.envelope;
    return errors && errors.length ? `${message}: ${errors.join('; ')}` : message;
  }
  if (err instanceof TypeError) return 'Concord could not be reached. Check your connection and try again.';
  return String(err && err.message ? err.message : err);
}

/** Enter submits `textarea`'s form; Shift+Enter makes a new line. */
export function submitOnEnter(textarea) {
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      textarea.form.requestSubmit();
    }
  });
  // Grow with the text, up to the limit the style sheet sets.
  textarea.addEventListener('input', () => {
    textarea.style.height = 'auto';
    textarea.style.height = `${textarea.scrollHeight}px`;
  });
}
