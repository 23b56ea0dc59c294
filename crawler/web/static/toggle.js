// Inline / side-by-side without a reload; the links work without JavaScript (?view=…).
document.addEventListener("click", function (e) {
  var link = e.target.closest("a[data-view]"), box = link && link.closest("[data-diff]");
  if (!box) return;
  e.preventDefault();
  box.querySelectorAll("[data-layout]").forEach(function (el) { el.hidden = el.dataset.layout !== link.dataset.view; });
  box.querySelectorAll("a[data-view]").forEach(function (a) { a.toggleAttribute("aria-current", a === link); });
  history.replaceState(null, "", link.href);
});
