/**
 * A part of the web view's script (joined in order by `../script.ts`): forms
 * built from JSON Schema (starting a run, sending a signal), with their
 * checks.
 *
 * @internal
 */
export const forms = String.raw`  // ------------------------------------------------------------------ forms from JSON Schema

  function resolveRef(schema, root) {
    var s = schema || {};
    for (var i = 0; i < 32 && s && typeof s.$ref === "string"; i++) {
      var name = s.$ref.replace(/^#\/(\$defs|definitions)\//, "");
      s = ((root && root.$defs) || {})[name] || {};
    }
    return s || {};
  }

  /**
   * A schema with its references followed and its allOf merged, when its
   * parts agree on the kind of value (their constraints then all apply);
   * an allOf whose parts differ in kind is left as it is (a JSON field).
   */
  function resolve(schema, root) {
    var s = resolveRef(schema, root);
    if (!Array.isArray(s.allOf)) return s;
    var merged = {};
    Object.keys(s).forEach(function (key) {
      if (key !== "allOf") merged[key] = s[key];
    });
    for (var i = 0; i < s.allOf.length; i++) {
      var part = resolve(s.allOf[i], root);
      if (part.type !== undefined && merged.type !== undefined && part.type !== merged.type) return s;
      if (part.properties || part.anyOf || part.oneOf || part.enum || part.const !== undefined) {
        if (s.allOf.length > 1) return s;
      }
      Object.keys(part).forEach(function (key) {
        if (key !== "$defs") merged[key] = part[key];
      });
    }
    return merged;
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
        // left empty, a text is not sent (not as ""): a required one is then missing, as the Schema says
        return text.value === "" ? { present: false } : { present: true, value: text.value };
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

`
