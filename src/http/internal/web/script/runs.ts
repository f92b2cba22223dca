/**
 * A part of the web view's script (joined in order by `../script.ts`): the
 * list of runs: filters, pages, live updates.
 *
 * @internal
 */
export const runs = String.raw`  // ------------------------------------------------------------------ runs

  function runRow(run) {
    var note = run.error ? run.error.tag + ": " + run.error.message
      : run.status === "suspended" && run.waitingFor && run.waitingFor.signal ? "waiting for signal " + run.waitingFor.signal
      : "";
    return h("tr", { "data-run": run.runId, "data-status": run.status },
      h("td", null, link(runHref(run.runId), h("code", null, run.runId))),
      h("td", null, link(templateHref(run.templateName, run.templateVersion), run.templateName),
        h("span", { class: "faint" }, "@" + run.templateVersion)),
      h("td", null, badge(run.status)),
      h("td", null, time(run.createdAt)),
      h("td", null, isFinal(run.status) ? duration(run.updatedAt - run.createdAt) : "-"),
      h("td", { class: run.error ? "error-cell" : "muted", title: note }, note));
  }

  function runsPage(params) {
    var gen = generation;
    var filters = { status: params.get("status") || "", template: params.get("template") || "" };
    var shown = 50;
    var nextCursor = null;
    var statusSelect = h("select", { id: "filter-status", onchange: apply },
      [""].concat(STATUSES).map(function (s) {
        return h("option", { value: s, selected: s === filters.status }, s || "any status");
      }));
    var templateSelect = h("select", { id: "filter-template", onchange: apply }, h("option", { value: "" }, "any template"));
    if (filters.template) templateSelect.appendChild(h("option", { value: filters.template, selected: true }, filters.template));
    var body = h("tbody", { id: "runs" });
    var more = h("div", { class: "more" });
    var problem = h("div");
    fill(app,
      h("h1", null, "Runs"),
      problem,
      h("div", { class: "toolbar" },
        h("label", { class: "inline" }, "Status", statusSelect),
        h("label", { class: "inline" }, "Template", templateSelect)),
      h("div", { class: "card" },
        h("table", null,
          h("thead", null, h("tr", null,
            h("th", null, "Run"), h("th", null, "Template"), h("th", null, "Status"),
            h("th", null, "Created"), h("th", null, "Duration"), h("th", null, "Error / waiting"))),
          body),
        more));

    api("GET", "/templates").then(function (templates) {
      if (gen !== generation) return;
      var names = [];
      templates.forEach(function (t) {
        if (names.indexOf(t.name) === -1) names.push(t.name);
      });
      clear(templateSelect);
      templateSelect.appendChild(h("option", { value: "" }, "any template"));
      if (filters.template && names.indexOf(filters.template) === -1) names.push(filters.template);
      names.forEach(function (name) {
        templateSelect.appendChild(h("option", { value: name, selected: name === filters.template }, name));
      });
    }, function () {});

    function query(cursor, limit) {
      var q = new URLSearchParams();
      if (filters.status) q.set("status", filters.status);
      if (filters.template) q.set("template", filters.template);
      q.set("limit", String(limit));
      if (cursor) q.set("cursor", cursor);
      return "/runs?" + q.toString();
    }

    function drawMore() {
      fill(more, nextCursor ? h("button", { id: "load-more", onclick: loadMore }, "Load more") : null);
    }

    function load() {
      return api("GET", query(null, Math.min(shown, 500))).then(function (page) {
        if (gen !== generation) return;
        clear(problem);
        clear(body);
        page.runs.forEach(function (run) {
          body.appendChild(runRow(run));
        });
        if (page.runs.length === 0) body.appendChild(h("tr", null, h("td", { colspan: 6, class: "empty" }, "No runs")));
        nextCursor = page.nextCursor;
        drawMore();
      }, function (error) {
        if (gen === generation) fill(problem, errorBox(error));
      });
    }

    function loadMore() {
      api("GET", query(nextCursor, 50)).then(function (page) {
        if (gen !== generation) return;
        page.runs.forEach(function (run) {
          body.appendChild(runRow(run));
        });
        shown += page.runs.length;
        nextCursor = page.nextCursor;
        drawMore();
      }, function (error) {
        fill(problem, errorBox(error));
      });
    }

    function apply() {
      filters.status = statusSelect.value;
      filters.template = templateSelect.value;
      var q = new URLSearchParams();
      if (filters.status) q.set("status", filters.status);
      if (filters.template) q.set("template", filters.template);
      var search = q.toString();
      history.replaceState(null, "", "/" + (search ? "?" + search : ""));
      shown = 50;
      load();
    }

    var refresh = throttle(load, 400);
    current.dispose = stream("/events", function () {
      refresh();
    });
    load();
  }

`
