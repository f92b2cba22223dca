/**
 * A part of the web view's script (joined in order by `../script.ts`): the
 * script's state (the current page and its generation) and its DOM helpers:
 * building elements, times, durations, badges and links.
 *
 * @internal
 */
export const core = String.raw`  "use strict";

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

`
