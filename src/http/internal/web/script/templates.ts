/**
 * A part of the web view's script (joined in order by `../script.ts`): the
 * templates: the list, and the page of one template with its Schemas and its
 * diagram; then the first route.
 *
 * @internal
 */
export const templates = String.raw`  // ------------------------------------------------------------------ templates

  function keys(list) {
    return h("span", { class: "kv" }, list.length === 0 ? h("span", { class: "faint" }, "none") : list.map(function (k) {
      return h("code", null, k);
    }));
  }

  function templatesPage() {
    var gen = generation;
    var body = h("tbody");
    fill(app, h("h1", null, "Templates"), h("div", { class: "card" }, h("table", null,
      h("thead", null, h("tr", null, h("th", null, "Template"), h("th", null, "Version"), h("th", null, "Requires"),
        h("th", null, "Provides"), h("th", null, "Signals"))), body)));
    current.dispose = function () {};
    setLive("idle");
    api("GET", "/templates").then(function (templates) {
      if (gen !== generation) return;
      templates.forEach(function (t) {
        body.appendChild(h("tr", { "data-template": t.name },
          h("td", null, link(templateHref(t.name, t.version), t.name)), h("td", null, t.version),
          h("td", null, keys(t.requires)), h("td", null, keys(t.provides)), h("td", null, keys(t.signals))));
      });
      if (templates.length === 0) body.appendChild(h("tr", null, h("td", { colspan: 5, class: "empty" }, "This server serves no template")));
    }, function (error) {
      if (gen === generation) fill(app, errorBox(error));
    });
  }

  function templatePage(name, version) {
    var gen = generation;
    setLive("idle");
    fill(app, h("h1", null, "Template ", h("code", null, name)), h("p", { class: "muted" }, "Loading..."));
    var query = version ? "?version=" + enc(version) : "";
    api("GET", "/templates/" + enc(name) + query).then(function (t) {
      if (gen !== generation) return;
      var diagram = h("div", { class: "diagram", id: "diagram" }, h("span", { class: "muted" }, "Drawing..."));
      fill(app,
        h("h1", null, "Template ", h("code", null, t.name + "@" + t.version)),
        h("div", { class: "row" },
          h("div", { class: "grow" },
            h("div", { class: "card" }, h("h2", null, "Diagram"), diagram)),
          h("div", { class: "grow" },
            h("div", { class: "card" }, h("h2", null, "Shape"), h("dl", { class: "meta" },
              h("dt", null, "Requires"), h("dd", null, keys(t.requires)),
              h("dt", null, "Provides"), h("dd", null, keys(t.provides)),
              h("dt", null, "Signals"), h("dd", null, keys(t.signals)))),
            h("div", { class: "card" }, h("h2", null, "Start a run"),
              schemaForm(t.input, {
                id: "start-form",
                submitLabel: "Start run",
                submit: function (input) {
                  return api("POST", "/runs", { template: t.name, version: t.version, input: input }).then(function (started) {
                    navigate(runHref(started.runId));
                    return "";
                  });
                }
              })),
            h("div", { class: "card" }, h("h2", null, "Schemas"),
              h("details", null, h("summary", null, "Input (JSON Schema)"), h("pre", { class: "json" }, pretty(t.input))),
              h("details", null, h("summary", null, "Output (JSON Schema)"), h("pre", { class: "json" }, pretty(t.output))),
              t.waits.map(function (w) {
                return h("details", null, h("summary", null, "Signal ", h("code", null, w.signal), " (writes ", h("code", null, w.key), ")",
                  w.timeoutMs !== null ? ", times out after " + duration(w.timeoutMs) : ""), h("pre", { class: "json" }, pretty(w.schema)));
              })))));
      apiText("/templates/" + enc(t.name) + "/diagram.svg?version=" + enc(t.version)).then(function (svgText) {
        if (gen !== generation) return;
        var doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
        var svg = doc.documentElement;
        if (svg && svg.nodeName.toLowerCase() === "svg") fill(diagram, document.importNode(svg, true));
        else fill(diagram, errorBox({ tag: "Diagram", message: "could not be drawn" }));
      }, function (error) {
        if (gen === generation) fill(diagram, errorBox(error));
      });
    }, function (error) {
      if (gen === generation) fill(app, errorBox(error));
    });
  }

  route();
`
