// The reflow and focus check of tests/e2e/test_accessibility.py (check_reflow): an expression whose value is
// the list of what is wrong, evaluated in the page.
// 1. the page scrolls sideways; 2. a region other than a table's own (.app-table-container) scrolls or
// cuts off its content sideways; 3. an element, once focused, is out of sight or under another element.
(() => {
  const doc = document.documentElement;
  const problems = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) name += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${name} “${text}”` : name;
  };
  const isTable = (el) => el.closest('.app-table-container');
  const tiny = (el) => el.clientWidth <= 1 || el.clientHeight <= 1;  // visually hidden text

  // 1. The page itself never scrolls sideways.
  if (doc.scrollWidth > doc.clientWidth) {
    const wide = [], escaped = [];
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (!box.width || box.right <= doc.clientWidth + 0.5) continue;
      // inside a table's region only what escapes its clipping (positioned out of it) can be the cause
      (isTable(el) ? escaped : wide).push(`${describe(el)} (to ${Math.round(box.right)} px)`);
    }
    if (!wide.length) wide.push(...escaped.map((what) => `${what}, escaping its table's region`));
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px of content in a ${doc.clientWidth} px window; ` +
                  `too wide: ${wide.slice(-4).join('; ')}`);
  }
  // 2. No other region scrolls or cuts off its content sideways: only a table's own region.
  for (const el of document.body.querySelectorAll('*')) {
    if (el.classList.contains('app-table-container') || tiny(el) || el.scrollWidth <= el.clientWidth + 1) continue;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) || !el.checkVisibility()) continue;
    const overflow = getComputedStyle(el).overflowX;
    if (overflow === 'visible') continue;
    problems.push(`${describe(el)} ${overflow === 'hidden' || overflow === 'clip' ? 'cuts off' : 'scrolls'} ` +
                  `${el.scrollWidth - el.clientWidth} px of its content sideways`);
  }
  // 3. A focused element is never under another one (tab order: DOM order, no positive tabindex here).
  const focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.type !== 'hidden' &&
                    el.checkVisibility({visibilityProperty: true}) && !el.closest('[inert]'));
  for (const el of focusable) {
    el.focus();
    if (document.activeElement !== el) continue;
    const first = el.getClientRects()[0];
    if (!first || !first.width || !first.height) continue;
    // The part of it that can be seen: within the window and within every region that clips it (a
    // table's scrolling region shows a partly scrolled link in part, as the browser leaves it).
    let [left, top, right, bottom] = [first.left, first.top, first.right, first.bottom];
    [left, top, right, bottom] = [Math.max(left, 0), Math.max(top, 0), Math.min(right, window.innerWidth), Math.min(bottom, window.innerHeight)];
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === 'visible' && getComputedStyle(up).overflowY === 'visible') continue;
      const clip = up.getBoundingClientRect();
      [left, top, right, bottom] = [Math.max(left, clip.left), Math.max(top, clip.top), Math.min(right, clip.right), Math.min(bottom, clip.bottom)];
    }
    if (right - left < 1 || bottom - top < 1) {
      problems.push(`${describe(el)} is out of sight when focused`);
      continue;
    }
    const [x, y] = [(left + right) / 2, (top + bottom) / 2];
    const hit = document.elementFromPoint(x, y);
    if (!hit || hit === el || el.contains(hit)) continue;
    const label = hit.closest('label');
    if (label && label.control === el) continue;
    problems.push(`${describe(el)}, focused, is under ${describe(hit)} (at ${Math.round(x)}, ${Math.round(y)} in a ${window.innerWidth}×${window.innerHeight} window)`);
  }
  if (document.activeElement) document.activeElement.blur();
  window.scrollTo(0, 0);
  return problems;
})()
