/**
 * DOM building without HTML strings: every value reaches the page through textContent or
 * setAttribute, never innerHTML, so customer data (names, emails, event properties) cannot
 * inject markup.
 */

/**
 * h('div', { class: 'card', testid: 'x', onclick: fn }, 'text', child, [more, children])
 * Strings and numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'testid') el.setAttribute('data-testid', String(value));
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A table from column specs: { label, value(row, i) -> string | Node, testid?(row, i), class? }; rowTestid(row, i) names rows. */
export function table(columns, rows, { rowTestid, ...attrs } = {}) {
  // Wide tables scroll inside their card on narrow screens instead of widening the page.
  return h('div', { class: 'table-wrap' }, h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.label)))),
    h(
      'tbody',
      {},
      rows.map((row, i) =>
        h(
          'tr',
          { testid: rowTestid ? rowTestid(row, i) : undefined },
          columns.map((c) => h('td', { class: c.class, testid: c.testid ? c.testid(row, i) : undefined }, c.value(row, i))),
        ),
      ),
    ),
  ));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** A headline figure: label, value (with a testid) and an optional change. */
export function kpi({ label, value, testid, delta, deltaTestid, deltaGood, hint }) {
  const deltaClass = delta === undefined || delta === null ? undefined : `delta ${deltaGood === undefined ? '' : deltaGood ? 'good' : 'bad'}`;
  return h(
    'div',
    { class: 'kpi' },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value', testid }, value),
    delta === undefined || delta === null ? null : h('div', { class: deltaClass, testid: deltaTestid }, delta),
    hint ? h('div', { class: 'kpi-hint' }, hint) : null,
  );
}

export function notice(text, kind = 'info', testid) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'note', testid }, text);
}

export function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}
