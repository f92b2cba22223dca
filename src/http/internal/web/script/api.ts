/**
 * A part of the web view's script (joined in order by `../script.ts`):
 * reading the API: the bearer token (asked for when the server wants one),
 * JSON requests and their errors, and Server-Sent Events read from the
 * response stream.
 *
 * @internal
 */
export const api = String.raw`  // ------------------------------------------------------------------ API

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

`
