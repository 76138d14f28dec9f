/* Stature's site: every table on a page is drawn from the JSON embedded beside it
   (report/tables.py says the shapes), then sorted, filtered, searched and paged here.
   Filters live in the address (#status=red&scorecard=security), so a link can open a
   page filtered and a filtered view can be shared. Text is set with textContent only. */
(function () {
  "use strict";

  var vocabulary = JSON.parse(document.getElementById("site-vocabulary").textContent);
  var RED = {};
  vocabulary.red.forEach(function (s) { RED[s] = true; });
  var ORDER = {};
  vocabulary.statusOrder.forEach(function (s, i) { ORDER[s] = i; });
  var DASH = vocabulary.dash;

  function readHash() {
    var state = {};
    window.location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) { return; }
      var at = part.indexOf("=");
      var key = decodeURIComponent(at < 0 ? part : part.slice(0, at));
      state[key] = at < 0 ? "" : decodeURIComponent(part.slice(at + 1));
    });
    return state;
  }

  function writeHash(changes) {
    var state = readHash();
    Object.keys(changes).forEach(function (key) {
      if (changes[key]) { state[key] = changes[key]; } else { delete state[key]; }
    });
    var parts = Object.keys(state).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(state[key]);
    });
    window.history.replaceState(null, "", parts.length ? "#" + parts.join("&") : " ");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function statusLabel(status) {
    return vocabulary.statusLabel[status] || status || DASH;
  }

  function rateClass(rate) {
    if (rate === null || rate === undefined) { return "grey"; }
    return rate >= 0.8 ? "green" : rate >= 0.5 ? "yellow" : "red";
  }

  // What a cell reads as, for search and value filters.
  function textOf(type, cell) {
    if (cell === null || cell === undefined) { return ""; }
    switch (type) {
      case "link": case "num": case "level": case "heat": return cell[0] || "";
      case "check": return cell[0] || "";
      case "status": return cell;
      case "tags": return cell.join(" ");
      case "history": return "";
      default: return String(cell);
    }
  }

  // What a cell sorts by: a number, or text; missing values sort last either way.
  function keyOf(type, cell) {
    if (cell === null || cell === undefined) { return null; }
    switch (type) {
      case "num": case "level": case "heat": return cell[1];
      case "status": return ORDER.hasOwnProperty(cell) ? ORDER[cell] : 99;
      case "check": return ORDER.hasOwnProperty(cell[0]) ? ORDER[cell[0]] : 99;
      case "link": return (cell[0] || "").toLowerCase();
      case "history": return null;
      case "tags": return cell.join(" ");
      default: return String(cell).toLowerCase();
    }
  }

  function statusMatches(wanted, status) {
    return status === wanted || (wanted === "red" && RED[status] === true);
  }

  // Shared columns hold positions in spec.values: put the values back in the rows.
  function expand(spec) {
    spec.columns.forEach(function (c, i) {
      if (!c.shared) { return; }
      var values = spec.values[c.key];
      spec.rows.forEach(function (row) {
        if (row[i] !== null && row[i] !== undefined) { row[i] = values[row[i]]; }
      });
    });
    return spec;
  }

  function DataTable(root, spec) {
    this.root = root;
    this.spec = expand(spec);
    this.columns = spec.columns;
    this.sortColumn = spec.sort[0];
    this.sortDirection = spec.sort[1];
    this.page = 0;
    this.query = "";
    this.values = {};
    var initial = readHash();
    var self = this;
    spec.filters.forEach(function (f) { self.values[f.key] = initial[f.key] || ""; });
    this.build();
    this.update();
  }

  DataTable.prototype.options = function (f) {
    var seen = {};
    var self = this;
    if (f.kind === "group") {
      this.columns.forEach(function (c) { if (c.type === "check") { seen[c.group] = true; } });
    } else if (f.kind === "status") {
      var checks = f.column === undefined;
      this.spec.rows.forEach(function (row) {
        if (checks) {
          self.columns.forEach(function (c, i) {
            if (c.type === "check" && row[i]) { seen[row[i][0]] = true; }
          });
        } else {
          var cell = row[f.column];
          (Array.isArray(cell) ? cell : [cell]).forEach(function (s) { if (s) { seen[s] = true; } });
        }
      });
      var statuses = Object.keys(seen).sort(function (a, b) { return (ORDER[a] || 0) - (ORDER[b] || 0); });
      var anyRed = statuses.some(function (s) { return RED[s]; });
      return (anyRed ? [["red", "any red (fail, not reported, error)"]] : []).concat(
        statuses.map(function (s) { return [s, statusLabel(s)]; }));
    } else {
      var type = this.columns[f.column].type;
      this.spec.rows.forEach(function (row) {
        var text = textOf(type, row[f.column]);
        if (text && text !== DASH) { seen[text] = true; }
      });
    }
    var labels = f.labels || {};
    return Object.keys(seen).sort().map(function (v) { return [v, labels[v] || v]; });
  };

  DataTable.prototype.build = function () {
    var self = this;
    var controls = el("div", "controls");
    if (this.columns.some(function (c) { return c.search; })) {
      var search = el("input", "search");
      search.type = "search";
      search.placeholder = "Search by name";
      search.setAttribute("aria-label", "Search by name");
      search.addEventListener("input", function () {
        self.query = search.value.trim().toLowerCase();
        self.page = 0;
        self.update();
      });
      controls.appendChild(search);
    }
    this.spec.filters.forEach(function (f) {
      var label = el("label", "filter", f.label + " ");
      var select = el("select");
      select.setAttribute("data-filter", f.key);
      select.appendChild(new Option("all", ""));
      self.options(f).forEach(function (o) { select.appendChild(new Option(o[1], o[0])); });
      if (self.values[f.key] && !Array.prototype.some.call(select.options, function (o) {
        return o.value === self.values[f.key];
      })) {
        select.appendChild(new Option(self.values[f.key], self.values[f.key]));
      }
      select.value = self.values[f.key];
      select.addEventListener("change", function () {
        self.values[f.key] = select.value;
        self.page = 0;
        var change = {};
        change[f.key] = select.value;
        writeHash(change);
        self.update();
      });
      label.appendChild(select);
      controls.appendChild(label);
    });
    this.count = el("span", "count");
    controls.appendChild(this.count);
    this.root.appendChild(controls);
    if (this.spec.caption) { this.root.appendChild(el("p", "caption", this.spec.caption)); }
    var scroll = el("div", "scroll");
    this.table = el("table", "data" + (this.columns.some(function (c) { return c.type === "check"; }) ? " grid" : ""));
    this.head = el("thead");
    this.body = el("tbody");
    this.table.appendChild(this.head);
    this.table.appendChild(this.body);
    scroll.appendChild(this.table);
    this.root.appendChild(scroll);
    this.pager = el("div", "pager");
    this.root.appendChild(this.pager);
  };

  DataTable.prototype.visibleColumns = function () {
    var group = "";
    var self = this;
    this.spec.filters.forEach(function (f) { if (f.kind === "group") { group = self.values[f.key]; } });
    var out = [];
    this.columns.forEach(function (c, i) {
      if (c.hidden || c.type === "tags") { return; }
      if (group && c.type === "check" && c.group !== group) { return; }
      out.push(i);
    });
    return out;
  };

  DataTable.prototype.matches = function (row, shown) {
    var self = this;
    if (this.query) {
      var found = this.columns.some(function (c, i) {
        return c.search && textOf(c.type, row[i]).toLowerCase().indexOf(self.query) >= 0;
      });
      if (!found) { return false; }
    }
    return this.spec.filters.every(function (f) {
      var wanted = self.values[f.key];
      if (!wanted || f.kind === "group") { return true; }
      if (f.kind === "status") {
        if (f.column === undefined) {
          return shown.some(function (i) {
            return self.columns[i].type === "check" && row[i] && statusMatches(wanted, row[i][0]);
          });
        }
        var cell = row[f.column];
        return (Array.isArray(cell) ? cell : [cell]).some(function (s) { return statusMatches(wanted, s); });
      }
      return textOf(self.columns[f.column].type, row[f.column]) === wanted;
    });
  };

  DataTable.prototype.sorted = function (rows) {
    var column = this.columns[this.sortColumn];
    var index = this.sortColumn;
    var sign = this.sortDirection === "desc" ? -1 : 1;
    var keyed = rows.map(function (row, position) {
      return { row: row, key: keyOf(column.type, row[index]), position: position };
    });
    keyed.sort(function (a, b) {
      if (a.key === b.key) { return a.position - b.position; }
      if (a.key === null) { return 1; }
      if (b.key === null) { return -1; }
      return (a.key < b.key ? -1 : 1) * sign;
    });
    return keyed.map(function (k) { return k.row; });
  };

  DataTable.prototype.header = function (shown) {
    var self = this;
    var row = el("tr");
    shown.forEach(function (i) {
      var c = self.columns[i];
      var th = el("th", c.type === "check" ? "rule" : "");
      if (c.title) { th.title = c.title; }
      var button = el("button", "sort", c.label);
      button.type = "button";
      button.setAttribute("data-column", c.key);
      if (i === self.sortColumn) {
        th.setAttribute("aria-sort", self.sortDirection === "asc" ? "ascending" : "descending");
      }
      button.addEventListener("click", function () {
        if (self.sortColumn === i) {
          self.sortDirection = self.sortDirection === "asc" ? "desc" : "asc";
        } else {
          self.sortColumn = i;
          self.sortDirection = c.type === "heat" || c.type === "status" || c.type === "check" ? "asc" : (c.type === "num" ? "desc" : "asc");
        }
        self.page = 0;
        self.update();
      });
      th.appendChild(button);
      row.appendChild(th);
    });
    this.head.replaceChildren(row);
  };

  function linked(text, href, title, className) {
    var node = href ? el("a", className, text) : el("span", className, text);
    if (href) { node.href = href; }
    if (title) { node.title = title; }
    return node;
  }

  DataTable.prototype.cell = function (c, value) {
    var td = el("td");
    if (value === null || value === undefined) {
      td.textContent = c.type === "check" ? "·" : DASH;
      td.className = c.type === "check" ? "cell none" : "empty";
      if (c.type === "check") { td.title = "not evaluated"; }
      return td;
    }
    switch (c.type) {
      case "link":
        td.appendChild(value[1] ? linked(value[0], value[1], value[2]) : el("span", "", value[0]));
        if (!value[1] && value[2]) { td.title = value[2]; }
        break;
      case "num": case "level":
        td.textContent = value[0];
        td.className = "n";
        break;
      case "status":
        td.appendChild(el("span", "chip " + value, statusLabel(value)));
        break;
      case "heat":
        td.className = "heat " + rateClass(value[1]);
        td.appendChild(linked(value[0], value[2], value[3]));
        break;
      case "check":
        td.className = "cell " + value[0];
        td.setAttribute("data-status", value[0]);
        td.title = (c.title ? c.title + "\n" : "") + statusLabel(value[0]) +
          (value[2] ? "\n" + value[2] : "");
        td.appendChild(linked(value[1], c.href, null));
        break;
      case "history":
        td.className = "history";
        value.forEach(function (h) {
          var box = el("span", "h " + h[1]);
          box.title = h[2];
          td.appendChild(box);
        });
        break;
      default:
        td.textContent = value;
    }
    return td;
  };

  DataTable.prototype.update = function () {
    var self = this;
    var shown = this.visibleColumns();
    var rows = this.sorted(this.spec.rows.filter(function (row) { return self.matches(row, shown); }));
    var size = this.spec.pageSize;
    var pages = Math.max(1, Math.ceil(rows.length / size));
    this.page = Math.min(this.page, pages - 1);
    var first = this.page * size;
    this.header(shown);
    var body = rows.slice(first, first + size).map(function (row) {
      var tr = el("tr");
      shown.forEach(function (i) { tr.appendChild(self.cell(self.columns[i], row[i])); });
      return tr;
    });
    if (!body.length) {
      var tr = el("tr", "nothing");
      var td = el("td", "", this.spec.empty);
      td.colSpan = shown.length;
      tr.appendChild(td);
      body.push(tr);
    }
    this.body.replaceChildren.apply(this.body, body);
    this.root.setAttribute("data-matching", String(rows.length));
    this.count.textContent = rows.length === this.spec.rows.length
      ? rows.length + " rows" : rows.length + " of " + this.spec.rows.length + " rows";
    this.pager.replaceChildren();
    if (pages > 1) {
      var previous = el("button", "previous", "‹ Previous");
      var next = el("button", "next", "Next ›");
      previous.type = next.type = "button";
      previous.disabled = this.page === 0;
      next.disabled = this.page >= pages - 1;
      previous.addEventListener("click", function () { self.page -= 1; self.update(); });
      next.addEventListener("click", function () { self.page += 1; self.update(); });
      this.pager.appendChild(previous);
      this.pager.appendChild(el("span", "", "Rows " + (first + 1) + "–" +
        Math.min(first + size, rows.length) + " of " + rows.length + " (page " + (this.page + 1) +
        " of " + pages + ")"));
      this.pager.appendChild(next);
    }
  };

  var tables = [];
  document.querySelectorAll("div.datatable").forEach(function (root) {
    var spec = JSON.parse(root.querySelector("script.datatable-spec").textContent);
    root.querySelectorAll(".noscript").forEach(function (n) { n.remove(); });
    tables.push(new DataTable(root, spec));
  });
  window.addEventListener("hashchange", function () {
    var state = readHash();
    tables.forEach(function (t) {
      t.spec.filters.forEach(function (f) {
        t.values[f.key] = state[f.key] || "";
        var select = t.root.querySelector('select[data-filter="' + f.key + '"]');
        if (select) { select.value = t.values[f.key]; }
      });
      t.page = 0;
      t.update();
    });
  });
  window.statureTables = tables;  // for the browser tests and the curious
})();
