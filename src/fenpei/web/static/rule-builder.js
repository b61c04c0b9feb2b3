// The rule editor: a condition builder over the hidden JSON field, checked as you type.
//
// The <textarea name="conditions"> is what the form posts; the builder draws it as rows of
// field / op / value inside all/any groups and writes it back on every change. Each change
// (anywhere in the form) posts the form to /rules/check, which runs the save validation
// without saving and answers errors by JSON path; they are shown beside the row or field
// they name. Loaded (deferred) by rules/editor.html; no build step, no external assets.
"use strict";

(function () {
  const form = document.getElementById("rule-form");
  if (!form) return;
  const config = JSON.parse(document.getElementById("builder-config").textContent);
  const initialErrors = JSON.parse(document.getElementById("builder-errors").textContent);
  const mount = document.getElementById("condition-builder");
  const textarea = document.getElementById("rule-conditions");
  const wordsOut = document.getElementById("conditions-words");
  const readOnly = mount ? mount.dataset.readOnly === "true" : true;
  const words = config.words;
  const fields = {};
  config.fields.forEach(function (f) { fields[f.name] = f; });
  const LIST_OPS = ["in", "not_in"];
  const NO_VALUE = ["is_empty", "is_not_empty", "in_business_hours"];
  let root = null; // {kind: "all"|"any", children: [...]}; a leaf is {field, op, value}
  let uid = 0;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // --- the model <-> JSON ---------------------------------------------------------------

  function toModel(node) {
    if (node && typeof node === "object" && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any") && Array.isArray(node[keys[0]])) {
        const children = node[keys[0]].map(toModel);
        return children.includes(null) ? null : { kind: keys[0], children: children };
      }
      if ("field" in node && keys.every(function (k) { return ["field", "op", "value"].includes(k); })) {
        return { field: node.field, op: node.op, value: node.value, hasValue: "value" in node };
      }
    }
    return null; // "not", or something the builder cannot draw: JSON only
  }

  function toJson(node) {
    if (node.kind) {
      const out = {};
      out[node.kind] = node.children.map(toJson);
      return out;
    }
    const leaf = { field: node.field, op: node.op };
    if (!NO_VALUE.includes(node.op) || node.hasValue) leaf.value = node.value;
    return leaf;
  }

  function load() {
    let parsed;
    try { parsed = JSON.parse(textarea.value || "{}"); } catch (e) { return false; }
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && Object.keys(parsed).length === 0) {
      root = { kind: "all", children: [] };
      return true;
    }
    const model = toModel(parsed);
    if (!model) return false;
    root = model.kind ? model : { kind: "all", children: [model] };
    return true;
  }

  function save() {
    textarea.value = root.children.length ? JSON.stringify(toJson(root)) : "{}";
    scheduleCheck();
  }

  // --- values by field type and op ----------------------------------------------------------

  function opsFor(fieldName) {
    const spec = fields[fieldName];
    return spec ? config.ops[spec.type] : [];
  }

  function emptyValue(op) {
    if (LIST_OPS.includes(op)) return [];
    if (op === "between") return ["", ""];
    return "";
  }

  function typed(spec, raw) {
    if (spec && spec.type === "number") {
      const text = String(raw).trim();
      return text !== "" && isFinite(Number(text)) ? Number(text) : raw;
    }
    return raw;
  }

  function inputType(spec, op) {
    if (op === "within_days" || op === "older_than_days") return "number";
    if (!spec) return "text";
    if (spec.type === "number") return "number";
    if (spec.type === "date" || spec.type === "datetime") return "date";
    return "text";
  }

  function valueEditor(leaf, labelId) {
    const spec = fields[leaf.field];
    const op = leaf.op;
    const wrap = el("span", { class: "value" });
    if (NO_VALUE.includes(op)) return wrap;
    const values = spec ? spec.values : [];
    if (LIST_OPS.includes(op) && values.length) {
      const chosen = Array.isArray(leaf.value) ? leaf.value.map(String) : [];
      const group = el("span", { class: "chips", role: "group", "aria-labelledby": labelId });
      values.forEach(function (v) {
        const box = el("input", {
          type: "checkbox", value: v.code, checked: chosen.includes(String(v.code)), disabled: readOnly,
          onchange: function () {
            const picked = Array.from(group.querySelectorAll("input:checked")).map(function (i) { return i.value; });
            leaf.value = picked.map(function (p) { return typed(spec, p); });
            save();
          },
        });
        group.appendChild(el("label", {}, [box, document.createTextNode(" " + v.label)]));
      });
      wrap.appendChild(group);
      return wrap;
    }
    if (LIST_OPS.includes(op)) {
      const shown = Array.isArray(leaf.value) ? leaf.value.join(", ") : "";
      wrap.appendChild(el("input", {
        type: "text", value: shown, "aria-labelledby": labelId, placeholder: "a, b, c", disabled: readOnly,
        oninput: function (event) {
          const parts = event.target.value.split(",").map(function (p) { return p.trim(); }).filter(Boolean);
          leaf.value = parts.map(function (p) { return typed(spec, p); });
          save();
        },
      }));
      return wrap;
    }
    if (op === "between") {
      const pair = Array.isArray(leaf.value) ? leaf.value : ["", ""];
      [0, 1].forEach(function (i) {
        wrap.appendChild(el("input", {
          type: inputType(spec, op), step: "any", value: pair[i] === undefined ? "" : pair[i],
          "aria-label": i ? words.high : words.low, disabled: readOnly,
          oninput: function (event) {
            const now = Array.isArray(leaf.value) ? leaf.value.slice(0, 2) : ["", ""];
            now[i] = typed(spec, event.target.value);
            leaf.value = now;
            save();
          },
        }));
        if (i === 0) wrap.appendChild(document.createTextNode(" – "));
      });
      return wrap;
    }
    if (values.length && spec.closed && (op === "eq" || op === "ne")) {
      const select = el("select", {
        "aria-labelledby": labelId, disabled: readOnly,
        onchange: function (event) { leaf.value = typed(spec, event.target.value); save(); },
      }, [el("option", { value: "", text: words.choose })]);
      values.forEach(function (v) {
        select.appendChild(el("option", { value: v.code, text: v.label, selected: String(leaf.value) === String(v.code) }));
      });
      wrap.appendChild(select);
      return wrap;
    }
    const listId = values.length ? "values-" + leaf.field.replace(/\W/g, "-") : null;
    const input = el("input", {
      type: inputType(spec, op), step: "any", value: leaf.value === undefined || leaf.value === null ? "" : leaf.value,
      "aria-labelledby": labelId, list: listId, disabled: readOnly,
      oninput: function (event) {
        leaf.value = op === "within_days" || op === "older_than_days"
          ? typed({ type: "number" }, event.target.value)
          : typed(spec, event.target.value);
        save();
      },
    });
    wrap.appendChild(input);
    if (op === "within_days" || op === "older_than_days") wrap.appendChild(document.createTextNode(" " + words.days));
    if (listId && !document.getElementById(listId)) {
      const list = el("datalist", { id: listId });
      values.forEach(function (v) { list.appendChild(el("option", { value: v.code, text: v.label })); });
      document.body.appendChild(list);
    }
    return wrap;
  }

  // --- drawing -----------------------------------------------------------------------------

  function leafRow(leaf, path, parent, index) {
    const id = "c" + (++uid);
    const fieldSelect = el("select", {
      id: id + "-field", "aria-label": words.field, disabled: readOnly,
      onchange: function (event) {
        leaf.field = event.target.value;
        const ops = opsFor(leaf.field);
        if (!ops.includes(leaf.op)) leaf.op = ops[0];
        leaf.value = emptyValue(leaf.op);
        leaf.hasValue = !NO_VALUE.includes(leaf.op);
        save();
        draw(id + "-field");
      },
    });
    if (!fields[leaf.field]) fieldSelect.appendChild(el("option", { value: leaf.field, text: String(leaf.field), selected: true }));
    config.fields.forEach(function (f) {
      fieldSelect.appendChild(el("option", { value: f.name, text: f.label, selected: f.name === leaf.field }));
    });
    const opSelect = el("select", {
      id: id + "-op", "aria-label": words.op, disabled: readOnly,
      onchange: function (event) {
        const before = leaf.op;
        leaf.op = event.target.value;
        if (LIST_OPS.includes(before) !== LIST_OPS.includes(leaf.op) || before === "between" || leaf.op === "between" || NO_VALUE.includes(leaf.op)) {
          leaf.value = LIST_OPS.includes(leaf.op) && leaf.value !== "" && !Array.isArray(leaf.value) ? [leaf.value] : emptyValue(leaf.op);
        }
        leaf.hasValue = !NO_VALUE.includes(leaf.op);
        save();
        draw(id + "-op");
      },
    });
    const ops = opsFor(leaf.field);
    if (!ops.includes(leaf.op)) opSelect.appendChild(el("option", { value: leaf.op, text: String(leaf.op), selected: true }));
    ops.forEach(function (op) {
      opSelect.appendChild(el("option", { value: op, text: config.opLabels[op] || op, selected: op === leaf.op }));
    });
    const valueLabel = el("span", { id: id + "-value-label", class: "visually-hidden", text: words.value });
    const remove = readOnly ? null : el("button", {
      type: "button", class: "secondary small", "aria-label": words.remove + " " + (index + 1), text: "×",
      onclick: function () { parent.children.splice(index, 1); save(); draw(); },
    });
    return el("div", { class: "condition", "data-path": path, role: "group", "aria-label": words.field + " " + (index + 1) }, [
      fieldSelect, opSelect, valueLabel, valueEditor(leaf, id + "-value-label"), remove,
      el("p", { class: "field-error", role: "status", hidden: true, "data-node-error": path }),
    ]);
  }

  function groupBox(group, path, depth, parent, index) {
    const listPath = path + "." + group.kind;
    const kindSelect = el("select", {
      "aria-label": words.match_when, disabled: readOnly,
      onchange: function (event) { group.kind = event.target.value; save(); draw(); },
    }, [
      el("option", { value: "all", text: words.all, selected: group.kind === "all" }),
      el("option", { value: "any", text: words.any, selected: group.kind === "any" }),
    ]);
    const header = el("div", { class: "group-head" }, [
      el("span", { class: "muted", text: words.match_when }), kindSelect,
      parent && !readOnly ? el("button", {
        type: "button", class: "secondary small", text: words.remove,
        onclick: function () { parent.children.splice(index, 1); save(); draw(); },
      }) : null,
    ]);
    const list = el("div", { class: "group-children" });
    group.children.forEach(function (child, i) {
      const childPath = listPath + "[" + i + "]";
      list.appendChild(child.kind ? groupBox(child, childPath, depth + 1, group, i) : leafRow(child, childPath, group, i));
    });
    if (!group.children.length && !parent) list.appendChild(el("p", { class: "muted", text: words.always }));
    const add = readOnly ? null : el("div", { class: "group-actions" }, [
      el("button", {
        type: "button", class: "secondary small", text: "+ " + words.add_condition, "data-add": "condition",
        onclick: function () {
          const first = config.fields.find(function (f) { return f.name === "region"; }) || config.fields[0];
          const op = config.ops[first.type][0];
          group.children.push({ field: first.name, op: op, value: emptyValue(op), hasValue: true });
          save();
          draw();
          const rows = mount.querySelectorAll('[data-path^="' + listPath + '["] > select:first-child');
          if (rows.length) rows[rows.length - 1].focus();
        },
      }),
      depth < 2 ? el("button", {
        type: "button", class: "secondary small", text: "+ " + words.add_group, "data-add": "group",
        onclick: function () {
          group.children.push({ kind: group.kind === "all" ? "any" : "all", children: [] });
          save();
          draw();
        },
      }) : null,
    ]);
    return el("div", { class: "group depth-" + depth, "data-path": path }, [
      header, list, add, el("p", { class: "field-error", role: "status", hidden: true, "data-node-error": path }),
    ]);
  }

  function draw(focusId) {
    if (!mount) return;
    mount.replaceChildren(groupBox(root, "conditions", 0, null, 0));
    showErrors(lastErrors);
    if (focusId) {
      const again = document.getElementById(focusId);
      if (again) again.focus();
    }
  }

  // --- errors ----------------------------------------------------------------------------

  let lastErrors = [];

  function nodeFor(path) {
    // The deepest drawn node whose path is a prefix of ``path`` (at a "." or "[" boundary).
    let best = null;
    mount && mount.querySelectorAll("[data-node-error]").forEach(function (slot) {
      const at = slot.dataset.nodeError;
      const next = path.charAt(at.length);
      if (path.startsWith(at) && (next === "" || next === "." || next === "[")) {
        if (!best || at.length > best.dataset.nodeError.length) best = slot;
      }
    });
    return best;
  }

  function showErrors(errors) {
    lastErrors = errors;
    const slots = Array.from(form.querySelectorAll("[data-error-for], [data-node-error]"));
    const texts = new Map(slots.map(function (slot) { return [slot, []]; }));
    errors.forEach(function (error) {
      let slot = form.querySelector('[data-error-for="' + CSS.escape(error.field) + '"]');
      let text = error.message;
      if (!slot && error.field.startsWith("conditions")) {
        slot = nodeFor(error.field);
        if (slot) text = error.field.slice(slot.dataset.nodeError.length).replace(/^\./, "") + ": " + error.message;
        text = text.replace(/^: /, "");
      }
      if (!slot) {
        slot = form.querySelector('[data-error-for="*"]');
        text = error.field + ": " + error.message;
      }
      if (slot) texts.get(slot).push(text);
    });
    texts.forEach(function (lines, slot) {
      slot.textContent = lines.join("; ");
      slot.hidden = lines.length === 0;
      const owner = slot.closest(".condition, .field");
      if (owner) owner.classList.toggle("invalid", lines.length > 0);
    });
  }

  // --- checking as you type ---------------------------------------------------------------

  let timer = null;
  let sent = 0;

  function scheduleCheck() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  }

  function check() {
    const ticket = ++sent;
    const meta = document.querySelector('meta[name="csrf-token"]');
    form.setAttribute("aria-busy", "true");
    fetch(form.dataset.checkUrl || "/rules/check", {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRF-Token": meta ? meta.content : "", Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || ticket !== sent) return;
        showErrors(body.errors);
        if (wordsOut) wordsOut.textContent = body.words || (root && !root.children.length ? words.always : "");
        form.dataset.checked = String(ticket);
        form.dataset.valid = body.errors.length ? "false" : "true";
      })
      .catch(function () { /* offline: saving will still validate */ })
      .finally(function () { if (ticket === sent) form.removeAttribute("aria-busy"); });
  }

  // --- the target's inputs follow its kind ----------------------------------------------------

  const kindSelect = form.querySelector("[data-target-kind]");
  function showKind() {
    form.querySelectorAll("[data-for-kind]").forEach(function (box) {
      box.hidden = box.dataset.forKind !== kindSelect.value;
    });
  }

  // --- start --------------------------------------------------------------------------------

  if (kindSelect) {
    kindSelect.addEventListener("change", showKind);
    showKind();
  }
  if (mount && textarea) {
    if (!load()) {
      mount.appendChild(el("p", { class: "notice", text: words.json_only }));
      textarea.closest("details").open = true;
    } else {
      draw();
    }
    textarea.addEventListener("change", function () {
      if (load()) draw();
    });
  }
  if (!readOnly) {
    form.addEventListener("input", function (event) {
      if (mount && mount.contains(event.target)) return; // the builder saves (and checks) itself
      scheduleCheck();
    });
    form.addEventListener("change", function (event) {
      if (mount && mount.contains(event.target)) return;
      scheduleCheck();
    });
  }
  const serverErrors = Object.entries(initialErrors).map(function ([field, message]) {
    return { field: field, message: message };
  });
  // A new rule opens blank: checking it now would greet the user with "required" under
  // every field they have not had a chance to fill. It is checked from the first edit on.
  const isNew = form.getAttribute("action") === "/rules" || form.dataset.new === "true";
  if (serverErrors.length) showErrors(serverErrors);
  else if (!readOnly && !isNew) check();
  else if (isNew && wordsOut && root && !root.children.length) wordsOut.textContent = words.always;
})();
