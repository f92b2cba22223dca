/**
 * A part of the web view's script (joined in order by `../script.ts`): the
 * page of one run: its record, state, trace, waits and actions, followed
 * live.
 *
 * @internal
 */
export const run = String.raw`  // ------------------------------------------------------------------ one run

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
        if (!following) follow();
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
        if (gen !== generation) return;
        if (error.status === 404 && error.tag === "RunNotFound") return gone();
        fill(problem, errorBox(error));
        // the run's progress is followed once it could be read
        if (!following) setTimeout(function () { if (gen === generation && !following) load(); }, 2000);
      });
    }

    /** The run does not exist (or no longer): say so, in place of its cards; nothing is followed. */
    function gone() {
      current.dispose();
      setLive("off");
      fill(app, h("h1", null, "Run ", h("code", null, runId)),
        h("div", { class: "card notice", id: "no-run" },
          h("p", null, "There is no run with id ", h("code", null, runId), " on this server."),
          h("p", null, link("/", "See the runs"))));
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
    var following = false;
    var stop = function () {};
    var ticker = null;
    function follow() {
      following = true;
      stop = stream("/runs/" + enc(runId) + "/events", onEvent, function () {
        load();
      });
      ticker = setInterval(function () {
        if (view.detail && Object.keys(view.active).length > 0) drawTimeline();
      }, 250);
    }
    function onEvent(event, data) {
      if (data && data.runId === runId) {
        if (event === "StepStarted") view.active[data.step] = { startedAt: data.at, attempt: 1 };
        else if (event === "StepRetried") {
          var a = view.active[data.step] || { startedAt: data.at };
          view.active[data.step] = { startedAt: a.startedAt, attempt: data.attempt, error: data.error };
        } else if (event === "StepCompleted" || event === "StepFailed") delete view.active[data.step];
        if (view.detail) drawTimeline();
      }
      refresh();
    }
    current.dispose = function () {
      stop();
      if (ticker !== null) clearInterval(ticker);
    };
    load();
  }

`
