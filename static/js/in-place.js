// After an action made in place (htmx swaps a table row for its result), keyboard and screen reader
// users are taken to the result: the swapped content marks it with data-app-focus-after-swap (and
// tabindex="-1"). The result's text is also put in the page's one live region (#app-live-region,
// base.html) out of band, so it is announced. A file, not an inline script: the CSP allows none.
// Without JavaScript none of this runs: the forms post and the page reloads with a banner.
document.addEventListener("htmx:afterSettle", (event) => {
  const swapped = event.target;
  if (!(swapped instanceof Element)) {
    return;
  }
  const result = swapped.matches("[data-app-focus-after-swap]")
    ? swapped
    : swapped.querySelector("[data-app-focus-after-swap]");
  if (result) {
    result.removeAttribute("data-app-focus-after-swap"); // once: a later swap elsewhere leaves focus alone
    result.focus();
  }
});
