/**
 * A part of the web view's script (joined in order by `../script.ts`):
 * routing on the path: the navigation, the page of each path, links that
 * stay in the page.
 *
 * @internal
 */
export const routing = String.raw`  // ------------------------------------------------------------------ routing

  function setNav(path) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-nav]"), function (a) {
      var section = a.getAttribute("data-nav");
      var active = section === "templates" ? path.indexOf("/templates") === 0 : path.indexOf("/templates") !== 0;
      a.className = active ? "active" : "";
    });
  }

  function route() {
    current.dispose();
    current = { dispose: function () {} };
    generation += 1;
    var path = location.pathname;
    var params = new URLSearchParams(location.search);
    setNav(path);
    if (path === "/" || path === "/runs" || path === "/runs/") return runsPage(params);
    if (path.indexOf("/runs/") === 0) return runPage(decodeURIComponent(path.slice(6)));
    if (path === "/templates" || path === "/templates/") return templatesPage();
    if (path.indexOf("/templates/") === 0) return templatePage(decodeURIComponent(path.slice(11)), params.get("version"));
    fill(app, errorBox({ tag: "NotFound", message: "No page at " + path }));
  }

  function navigate(href) {
    history.pushState(null, "", href);
    route();
  }

  document.addEventListener("click", function (e) {
    var target = e.target;
    var a = target && target.closest ? target.closest("a[data-link]") : null;
    if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", route);

`
