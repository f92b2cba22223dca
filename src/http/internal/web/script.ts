/**
 * The web view's script: plain JavaScript, no dependency, no network but
 * this server. It routes on the path (`/`, `/runs/<id>`, `/templates`,
 * `/templates/<name>`), reads the API with `fetch` (with the bearer token
 * when the server asks for one), follows Server-Sent Events by reading the
 * response stream (so that the token goes in a header), and builds every
 * element with the DOM (text is never parsed as HTML).
 *
 * Written without backquotes and dollar-brace so that it sits in a raw
 * template literal unchanged.
 *
 * @internal
 */
export const script = String.raw`(function () {
  "use strict";

  var STATUSES = ["queued", "running", "suspended", "completed", "failed", "cancelled"];
  var TOKEN_KEY = "weft.token";
  var app = document.getElementById("app");
  var liveEl = document.getElementById("live");
  var generation = 0;
  var current = { dispose: function () {} };

  // ------------------------------------------------------------------ DOM

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
        else if (key === "class") el.className = value;
        else if (key === "value") el.value = value;
        else if (key === "checked" || key === "selected" || key === "disabled") el[key] = !!value;
        else el.setAttribute(key, value === true ? "" : String(value));
      });
    }
    append(el, Array.prototype.slice.call(arguments, 2));
    return el;
  }

  function append(el, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) append(el, child);
      else if (typeof child === "string" || typeof child === "number") el.appendChild(document.createTextNode(String(child)));
      else el.appendChild(child);
    });
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function fill(el) {
    clear(el);
    append(el, Array.prototype.slice.call(arguments, 1));
    return el;
  }

  function time(ms) {
    return ms === null || ms === undefined ? "-" : new Date(ms).toLocaleString();
  }

  function duration(ms) {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    var minutes = Math.floor(ms / 60000);
    if (minutes < 120) return minutes + " min " + Math.round((ms % 60000) / 1000) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }

  function isFinal(status) {
    return status === "completed" || status === "failed" || status === "cancelled";
  }

  function badge(status) {
    return h("span", { class: "badge " + status, "data-status": status }, status);
  }

  function enc(text) {
    return encodeURIComponent(text);
  }

  function runHref(id) {
    return "/runs/" + enc(id);
  }

  function templateHref(name, version) {
    return "/templates/" + enc(name) + (version ? "?version=" + enc(version) : "");
  }

  function link(href, content, attrs) {
    var a = h("a", attrs || {}, content);
    a.setAttribute("href", href);
    a.setAttribute("data-link", "");
    return a;
  }

  function throttle(fn, ms) {
    var timer = null;
    var again = false;
    return function () {
      if (timer !== null) {
        again = true;
        return;
      }
      fn();
      timer = setTimeout(function () {
        timer = null;
        if (again) {
          again = false;
          fn();
        }
      }, ms);
    };
  }

  function setLive(state) {
    liveEl.className = "live " + (state === "live" ? "on" : "off");
    liveEl.textContent = state;
  }

  // ------------------------------------------------------------------ API

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  function authHeaders(extra) {
    var headers = extra || {};
    var t = token();
    if (t) headers["Authorization"] = "Bearer " + t;
    return headers;
  }

  function ApiError(status, body) {
    this.status = status;
    this.tag = (body && body._tag) || "HttpError";
    this.message = (body && body.message) || "HTTP " + status;
    this.body = body || {};
  }

  function api(method, path, body) {
    var init = { method: method, headers: authHeaders(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch("/api" + path, init).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        if (text) {
          try {
            parsed = JSON.parse(text);
          } catch (e) {
            parsed = { _tag: "HttpError", message: text };
          }
        }
        if (response.status === 401) askToken();
        if (!response.ok) throw new ApiError(response.status, parsed);
        return parsed;
      });
    });
  }

  function apiText(path) {
    return fetch("/api" + path, { headers: authHeaders({}) }).then(function (response) {
      if (response.status === 401) askToken();
      if (!response.ok) throw new ApiError(response.status, null);
      return response.text();
    });
  }

  /**
   * Follows a Server-Sent Events stream: calls onMessage(event, data) for
   * each event; when the stream ends, calls onEnd (or reconnects when there
   * is none); reconnects after errors. Returns a function that stops it.
   */
  function stream(path, onMessage, onEnd) {
    var controller = new AbortController();
    var stopped = false;
    var delay = 1000;
    function reconnect() {
      if (stopped) return;
      setLive("reconnecting");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    }
    function connect() {
      if (stopped) return;
      fetch("/api" + path, { headers: authHeaders({ Accept: "text/event-stream" }), signal: controller.signal })
        .then(function (response) {
          if (response.status === 401) askToken();
          if (!response.ok || !response.body) throw new ApiError(response.status, null);
          setLive("live");
          delay = 1000;
          var reader = response.body.getReader();
          var decoder = new TextDecoder();
          var buffer = "";
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) return;
              buffer += decoder.decode(chunk.value, { stream: true });
              var index = buffer.indexOf("\n\n");
              while (index !== -1) {
                var block = buffer.slice(0, index);
                buffer = buffer.slice(index + 2);
                var event = "message";
                var data = [];
                block.split("\n").forEach(function (line) {
                  if (line.indexOf("event:") === 0) event = line.slice(6).trim();
                  else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
                });
                if (data.length > 0) {
                  try {
                    onMessage(event, JSON.parse(data.join("\n")));
                  } catch (e) {
                    if (window.console) console.error(e);
                  }
                }
                index = buffer.indexOf("\n\n");
              }
              return pump();
            });
          }
          return pump();
        })
        .then(function () {
          if (stopped) return;
          if (onEnd) {
            setLive("ended");
            onEnd();
          } else {
            reconnect();
          }
        }, function () {
          reconnect();
        });
    }
    connect();
    return function () {
      stopped = true;
      controller.abort();
    };
  }

  function askToken() {
    if (document.getElementById("token-form")) return;
    var input = h("input", { type: "password", id: "token-input", placeholder: "API token", autocomplete: "off" });
    var form = h("form", { id: "token-form", class: "card notice", onsubmit: function (e) {
      e.preventDefault();
      try {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      } catch (err) {
        // storage may be off: the token then lasts until the page reloads
      }
      form.remove();
      route();
    } },
      h("strong", null, "This server needs a token. "),
      h("span", { class: "muted" }, "It is kept for this tab only. "),
      input, " ", h("button", { class: "primary", type: "submit" }, "Use token"));
    app.parentNode.insertBefore(form, app);
  }

  function errorBox(error) {
    return h("div", { class: "error-box", role: "alert" },
      h("span", { class: "tag" }, error.tag || "Error"), error.message || String(error));
  }

  // ------------------------------------------------------------------ routing

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

  // ------------------------------------------------------------------ runs

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

  // ------------------------------------------------------------------ forms from JSON Schema

  function resolve(schema, root) {
    var s = schema || {};
    for (var i = 0; i < 32 && s && typeof s.$ref === "string"; i++) {
      var name = s.$ref.replace(/^#\/(\$defs|definitions)\//, "");
      s = ((root && root.$defs) || {})[name] || {};
    }
    return s || {};
  }

  function choices(s, root) {
    if (Array.isArray(s.enum)) return s.enum;
    if (s.const !== undefined) return [s.const];
    var alternatives = s.anyOf || s.oneOf;
    if (!Array.isArray(alternatives)) return null;
    var values = [];
    for (var i = 0; i < alternatives.length; i++) {
      var a = resolve(alternatives[i], root);
      if (Array.isArray(a.enum)) values = values.concat(a.enum);
      else if (a.const !== undefined) values.push(a.const);
      else if (a.type === "null") values.push(null);
      else return null;
    }
    return values;
  }

  function FieldError(message) {
    this.message = message;
  }

  /**
   * A control for one value: { el, read() } where read returns
   * { present: false } or { present: true, value }, or throws a FieldError.
   */
  function control(schema, root, path, required) {
    var s = resolve(schema, root);
    var options = choices(s, root);
    var id = "f-" + (path || "value").replace(/[^A-Za-z0-9_-]/g, "_");
    if (options) {
      var select = h("select", { id: id, name: path },
        required ? null : h("option", { value: "" }, ""),
        options.map(function (v) {
          return h("option", { value: JSON.stringify(v) }, v === null ? "null" : String(v));
        }));
      return { el: select, read: function () {
        return select.value === "" ? { present: false } : { present: true, value: JSON.parse(select.value) };
      } };
    }
    if (s.type === "boolean") {
      if (required) {
        var box = h("input", { type: "checkbox", id: id, name: path });
        return { el: box, read: function () {
          return { present: true, value: box.checked };
        } };
      }
      var tri = h("select", { id: id, name: path }, h("option", { value: "" }, ""), h("option", { value: "true" }, "true"),
        h("option", { value: "false" }, "false"));
      return { el: tri, read: function () {
        return tri.value === "" ? { present: false } : { present: true, value: tri.value === "true" };
      } };
    }
    if (s.type === "string") {
      var text = h("input", { type: "text", id: id, name: path, placeholder: s.description || "" });
      return { el: text, read: function () {
        return text.value === "" && !required ? { present: false } : { present: true, value: text.value };
      } };
    }
    if (s.type === "number" || s.type === "integer") {
      var number = h("input", { type: "number", id: id, name: path, step: s.type === "integer" ? "1" : "any" });
      return { el: number, read: function () {
        if (number.value === "") {
          if (required) throw new FieldError("a number is required");
          return { present: false };
        }
        var n = Number(number.value);
        if (!isFinite(n)) throw new FieldError("not a number");
        return { present: true, value: n };
      } };
    }
    if (s.type === "object" && s.properties && Object.keys(s.properties).length > 0) {
      var group = objectFields(s, root, path);
      var fieldset = h("fieldset", { "data-path": path }, h("legend", null, path.split(".").pop()), group.el);
      return { el: fieldset, read: function () {
        var value = group.read();
        return Object.keys(value).length === 0 && !required ? { present: false } : { present: true, value: value };
      } };
    }
    var area = h("textarea", { id: id, name: path, placeholder: "JSON", rows: 3 });
    return { el: area, read: function () {
      if (area.value.trim() === "") {
        if (required) throw new FieldError("a JSON value is required");
        return { present: false };
      }
      try {
        return { present: true, value: JSON.parse(area.value) };
      } catch (e) {
        throw new FieldError("not valid JSON");
      }
    } };
  }

  function objectFields(s, root, prefix) {
    var required = Array.isArray(s.required) ? s.required : [];
    var fields = Object.keys(s.properties).map(function (key) {
      var path = prefix ? prefix + "." + key : key;
      var isRequired = required.indexOf(key) !== -1;
      var c = control(s.properties[key], root, path, isRequired);
      var hint = h("div", { class: "hint" });
      var wrapper = h("div", { class: "field", "data-path": path },
        h("label", { for: c.el.id || null }, key, isRequired ? h("span", { class: "req" }, "*") : null), c.el, hint);
      return { key: key, path: path, control: c, wrapper: wrapper, hint: hint };
    });
    return {
      el: fields.map(function (f) { return f.wrapper; }),
      fields: fields,
      read: function () {
        var value = {};
        var errors = [];
        fields.forEach(function (f) {
          try {
            var r = f.control.read();
            if (r.present) value[f.key] = r.value;
          } catch (e) {
            if (e instanceof FieldError) errors.push({ path: f.path, message: e.message });
            else if (e && e.errors) errors = errors.concat(e.errors);
            else throw e;
          }
        });
        if (errors.length > 0) throw { errors: errors };
        return value;
      }
    };
  }

  /**
   * A form for a value described by a JSON Schema, with a raw JSON editor
   * as an alternative; submit(value) returns a promise; its failure's
   * issues are shown on the fields they name.
   */
  function schemaForm(schema, options) {
    var root = schema || {};
    var s = resolve(root, root);
    var structured = s.type === "object" && s.properties && Object.keys(s.properties).length > 0;
    var fields = structured ? objectFields(s, root, "") : null;
    var raw = h("textarea", { class: "raw-json", rows: 4, placeholder: structured ? "or the whole value as JSON" : "JSON" });
    var message = h("div", { class: "form-error", role: "status" });
    var button = h("button", { class: "primary", type: "submit" }, options.submitLabel);
    var form = h("form", { class: "schema", id: options.id || null, onsubmit: submit },
      fields ? fields.el : null,
      structured ? h("details", null, h("summary", { class: "muted" }, "Edit as JSON"), raw) : raw,
      h("div", { class: "actions" }, button, options.extra || null),
      message);

    function clearMarks() {
      Array.prototype.forEach.call(form.querySelectorAll(".field.invalid"), function (el) {
        el.classList.remove("invalid");
      });
      Array.prototype.forEach.call(form.querySelectorAll(".field .hint"), function (el) {
        el.textContent = "";
      });
      message.textContent = "";
    }

    function mark(path, text) {
      var target = null;
      if (fields) {
        var parts = path.split(".");
        while (parts.length > 0 && !target) {
          target = form.querySelector('.field[data-path="' + parts.join(".").replace(/"/g, "") + '"]');
          parts.pop();
        }
      }
      if (target) {
        target.classList.add("invalid");
        var hint = target.querySelector(".hint");
        if (hint) hint.textContent = text;
        return true;
      }
      return false;
    }

    function submit(e) {
      e.preventDefault();
      clearMarks();
      var value;
      try {
        if (raw.value.trim() !== "") {
          try {
            value = JSON.parse(raw.value);
          } catch (err) {
            message.textContent = "The JSON is not valid: " + err.message;
            return;
          }
        } else if (fields) {
          value = fields.read();
        } else {
          value = null;
        }
      } catch (err) {
        (err.errors || []).forEach(function (issue) {
          mark(issue.path, issue.message);
        });
        message.textContent = "Some values are missing or invalid.";
        return;
      }
      button.disabled = true;
      options.submit(value).then(function (text) {
        button.disabled = false;
        message.textContent = text || "";
      }, function (error) {
        button.disabled = false;
        var issues = (error.body && error.body.issues) || [];
        issues.forEach(function (issue) {
          mark((issue.path || []).join("."), issue.message);
        });
        message.textContent = (error.tag ? error.tag + ": " : "") + (error.message || String(error));
      });
    }

    return form;
  }

  // ------------------------------------------------------------------ one run

  function runPage(runId) {
    var gen = generation;
    var view = { detail: null, trace: [], template: undefined, active: {}, open: {}, signalKey: null, confirming: false };
    var title = h("h1");
    var problem = h("div");
    var failure = h("div", { id: "run-error" });
    var meta = h("div", { class: "card" });
    var actions = h("div", { class: "toolbar", id: "run-actions" });
    var signals = h("div", { id: "signals" });
    var timeline = h("div", { class: "timeline", id: "timeline" });
    var stateView = h("pre", { class: "json", id: "state" }, "...");
    fill(app, title, problem, failure, actions, signals,
      h("div", { class: "card" }, h("h2", null, "Timeline"), timeline),
      h("div", { class: "row" },
        h("div", { class: "grow" }, meta),
        h("div", { class: "grow" }, h("div", { class: "card" }, h("h2", null, "State"), stateView))));
    fill(title, "Run ", h("code", null, runId));

    function load() {
      return Promise.all([api("GET", "/runs/" + enc(runId)), api("GET", "/runs/" + enc(runId) + "/trace")]).then(function (r) {
        if (gen !== generation) return;
        clear(problem);
        view.detail = r[0];
        view.trace = r[1];
        view.trace.forEach(function (entry) {
          delete view.active[entry.step];
        });
        if (isFinal(view.detail.run.status)) view.active = {};
        if (view.template === undefined) loadTemplate();
        draw();
      }, function (error) {
        if (gen === generation) fill(problem, errorBox(error));
      });
    }

    function loadTemplate() {
      var run = view.detail.run;
      view.template = null;
      api("GET", "/templates/" + enc(run.templateName) + "?version=" + enc(run.templateVersion)).then(function (t) {
        if (gen !== generation) return;
        view.template = t;
        drawSignals();
      }, function () {
        view.template = false;
        drawSignals();
      });
    }

    function draw() {
      var run = view.detail.run;
      fill(title, "Run ", h("code", null, runId), badge(run.status));
      fill(failure, run.error ? errorBox(run.error) : null);
      var end = isFinal(run.status) ? run.updatedAt : Date.now();
      fill(meta, h("h2", null, "Run"), h("dl", { class: "meta" },
        h("dt", null, "Template"), h("dd", null,
          link(templateHref(run.templateName, run.templateVersion), run.templateName + "@" + run.templateVersion)),
        h("dt", null, "Status"), h("dd", null, badge(run.status)),
        h("dt", null, "Created"), h("dd", null, time(run.createdAt)),
        h("dt", null, "Updated"), h("dd", null, time(run.updatedAt)),
        h("dt", null, isFinal(run.status) ? "Took" : "Age"), h("dd", null, duration(end - run.createdAt)),
        h("dt", null, "Steps"), h("dd", null, String(view.trace.length)),
        run.parentId ? [h("dt", null, "Parent"), h("dd", null, link(runHref(run.parentId), h("code", null, run.parentId)))] : null,
        run.queue && run.queue !== "default" ? [h("dt", null, "Queue"), h("dd", null, run.queue)] : null,
        run.status === "suspended" && view.detail.waitingFor ? [h("dt", null, "Waiting for"), h("dd", null,
          view.detail.waitingFor.signal ? ["signal ", h("code", null, view.detail.waitingFor.signal)] : "a timer",
          view.detail.waitingFor.deadline ? ", until " + time(view.detail.waitingFor.deadline) : "")] : null,
        run.expiresAt ? [h("dt", null, "Expires"), h("dd", null, time(run.expiresAt))] : null));
      drawActions();
      drawSignals();
      drawTimeline();
      stateView.textContent = pretty(view.detail.state);
    }

    function drawActions() {
      var run = view.detail.run;
      var status = run.status;
      var note = h("span", { class: "muted", id: "action-note" });
      var cancel = null;
      if (status === "queued" || status === "running" || status === "suspended") {
        cancel = h("button", { class: "danger", id: "cancel", onclick: function () {
          if (!view.confirming) {
            view.confirming = true;
            cancel.textContent = "Confirm cancel";
            return;
          }
          cancel.disabled = true;
          api("POST", "/runs/" + enc(runId) + "/cancel").then(function () {
            view.confirming = false;
            load();
          }, function (error) {
            view.confirming = false;
            fill(problem, errorBox(error));
            load();
          });
        } }, view.confirming ? "Confirm cancel" : "Cancel run");
      }
      var resume = status === "suspended"
        ? h("button", { id: "resume", onclick: function () {
          resume.disabled = true;
          api("POST", "/runs/" + enc(runId) + "/resume").then(function () {
            note.textContent = "Resumed.";
            load();
          }, function (error) {
            resume.disabled = false;
            fill(problem, errorBox(error));
          });
        }, title: "Continue from the last checkpoint" }, "Resume")
        : null;
      fill(actions, cancel, resume, note);
    }

    function waitsToShow() {
      var run = view.detail.run;
      var t = view.template;
      if (!t) return [];
      var waiting = view.detail.waitingFor;
      if (waiting && waiting.signal) {
        var matching = t.waits.filter(function (w) { return w.signal === waiting.signal; });
        return matching.length > 0 ? matching.slice(0, 1) : [{ signal: waiting.signal, name: waiting.signal, schema: {} }];
      }
      // where the run waits is unknown: offer every wait of its template
      var seen = {};
      return t.waits.filter(function (w) {
        if (seen[w.signal]) return false;
        seen[w.signal] = true;
        return run.status === "suspended";
      });
    }

    function drawSignals() {
      if (!view.detail) return;
      var run = view.detail.run;
      var waits = run.status === "suspended" ? waitsToShow() : [];
      var key = run.status + "|" + waits.map(function (w) { return w.signal; }).join(",");
      if (key === view.signalKey) return;
      view.signalKey = key;
      if (waits.length === 0) {
        clear(signals);
        return;
      }
      var target = view.detail.waitingFor && view.detail.waitingFor.runId ? view.detail.waitingFor.runId : runId;
      fill(signals, waits.map(function (wait) {
        return h("div", { class: "card", "data-signal": wait.signal },
          h("h2", null, "Send signal ", h("code", null, wait.signal)),
          target !== runId ? h("p", { class: "muted" }, "It goes to the sub-flow's run ", h("code", null, target), ".") : null,
          schemaForm(wait.schema, {
            id: "signal-" + wait.signal,
            submitLabel: "Send " + wait.signal,
            submit: function (payload) {
              return api("POST", "/runs/" + enc(target) + "/signals/" + enc(wait.signal), payload).then(function () {
                load();
                return "Signal sent.";
              });
            }
          }));
      }));
    }

    function drawTimeline() {
      var run = view.detail.run;
      var now = Date.now();
      var entries = view.trace.slice();
      Object.keys(view.active).forEach(function (step) {
        var a = view.active[step];
        entries.push({ step: step, name: step.split("/").pop(), status: "active", attempts: a.attempt,
          startedAt: a.startedAt, endedAt: Math.max(now, a.startedAt), durationMs: Math.max(0, now - a.startedAt),
          error: a.error || null, delta: null });
      });
      if (run.status === "suspended") {
        var waiting = view.detail.waitingFor;
        entries.push({ step: waiting ? waiting.step : "(wait)", name: waiting && waiting.signal ? "waiting for " + waiting.signal : "waiting",
          status: "waiting", attempts: 1, startedAt: run.updatedAt, endedAt: Math.max(now, run.updatedAt),
          durationMs: Math.max(0, now - run.updatedAt), error: null, delta: null });
      }
      clear(timeline);
      if (entries.length === 0) {
        timeline.appendChild(h("div", { class: "empty" }, run.status === "queued" ? "Waiting for a worker" : "No step has ended yet"));
        timeline.appendChild(h("div"));
        return;
      }
      var t0 = run.createdAt;
      var t1 = Math.max.apply(null, entries.map(function (e) { return e.endedAt; }).concat([isFinal(run.status) ? run.updatedAt : now, t0 + 1]));
      var span = t1 - t0;
      timeline.appendChild(h("div", { class: "axis-label faint" }, "step"));
      timeline.appendChild(h("div", { class: "axis faint" }, h("span", null, "0"), h("span", null, duration(span))));
      entries.forEach(function (entry) {
        var left = Math.max(0, Math.min(100, ((entry.startedAt - t0) / span) * 100));
        var width = Math.max(0.6, Math.min(100 - left, ((entry.endedAt - entry.startedAt) / span) * 100));
        var bar = h("div", { class: "bar " + entry.status + (entry.attempts > 1 ? " retried" : ""), title: entry.status });
        bar.style.left = left + "%";
        bar.style.width = width + "%";
        var info = h("span", { class: "info" }, entry.status === "active" ? "running " : entry.status === "waiting" ? "suspended " : "",
          duration(entry.durationMs),
          entry.attempts > 1 ? h("span", { class: "retry", title: "retried" }, "\u21BB " + entry.attempts + " attempts") : null,
          entry.status === "skipped" || entry.status === "fallback" ? h("span", { class: "faint" }, " (" + entry.status + ")") : null);
        var errorLine = entry.error
          ? h("div", { class: "err-line" }, h("span", { class: "tag" }, entry.error.tag), " ", entry.error.message)
          : null;
        var end = left + width;
        if (end <= 70) {
          info.style.left = end + "%";
          info.style.marginLeft = "6px";
        } else if (left >= 30) {
          info.style.right = (100 - left) + "%";
          info.style.marginRight = "6px";
        } else {
          info.style.left = left + "%";
          info.style.marginLeft = "6px";
          info.className = "info inside";
        }
        function toggle() {
          view.open[entry.step] = !view.open[entry.step];
          drawTimeline();
        }
        timeline.appendChild(h("div", { class: "label", title: entry.step, onclick: toggle, "data-step": entry.step },
          h("span", { class: "key" }, entry.name), entry.step !== entry.name ? h("span", { class: "faint" }, " " + entry.step) : null));
        timeline.appendChild(h("div", { class: "track", onclick: toggle, "data-step": entry.step, "data-status": entry.status },
          bar, info, errorLine));
        if (view.open[entry.step]) {
          timeline.appendChild(h("div", { class: "detail", "data-step": entry.step },
            h("div", { class: "muted" }, time(entry.startedAt), " - ", time(entry.endedAt), ", ", entry.attempts + " attempt(s)"),
            entry.error ? errorBox(entry.error) : null,
            entry.delta === null ? h("div", { class: "faint" }, entry.status === "active" ? "in progress" : "output not available")
              : [h("div", null, "Output"), h("pre", { class: "json" }, pretty(entry.delta.set)),
                entry.delta.unset.length > 0 ? h("div", null, "Removed: ", entry.delta.unset.join(", ")) : null]));
        }
      });
    }

    var refresh = throttle(load, 300);
    var stop = stream("/runs/" + enc(runId) + "/events", function (event, data) {
      if (data && data.runId === runId) {
        if (event === "StepStarted") view.active[data.step] = { startedAt: data.at, attempt: 1 };
        else if (event === "StepRetried") {
          var a = view.active[data.step] || { startedAt: data.at };
          view.active[data.step] = { startedAt: a.startedAt, attempt: data.attempt, error: data.error };
        } else if (event === "StepCompleted" || event === "StepFailed") delete view.active[data.step];
        if (view.detail) drawTimeline();
      }
      refresh();
    }, function () {
      load();
    });
    var ticker = setInterval(function () {
      if (view.detail && Object.keys(view.active).length > 0) drawTimeline();
    }, 250);
    current.dispose = function () {
      stop();
      clearInterval(ticker);
    };
    load();
  }

  // ------------------------------------------------------------------ templates

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
})();
`
