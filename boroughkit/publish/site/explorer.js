/* Borough Data Explorer: reads schema.json (levels and column names, written by
   boroughkit/publish/schema.py), index.json and a release's GeoJSON (or CSV), draws a choropleth
   as inline SVG, a sortable table and the release's downloads, method, licence and registers.
   No libraries and no network beyond this site. */
(function () {
  "use strict";

  // Sequential blues (ColorBrewer), distinguishable with common colour-vision deficiencies.
  var PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var NO_VALUE = "#d4d4d4";
  var schema = null; // schema.json: the published levels and columns, read before anything else
  var number = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });

  var state = { index: null, release: null, table: null, level: null, category: null,
                areas: [], sort: { key: "name", ascending: true }, registers: {} };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function fetchJson(url) {
    return fetch(url, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  function say(text) { $("load-status").textContent = text; $("load-status").hidden = !text; }

  function humanise(text) { return String(text).replace(/[_-]+/g, " "); }
  function capitalise(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function levelIds() { return schema.levels.map(function (l) { return l.id; }); }
  function levelLabel(level) {
    var found = schema.levels.filter(function (l) { return l.id === level; })[0];
    return found ? found.label : level;
  }

  function cellLabel(cell) {
    if (cell === schema.categories.all_cell) return "All (total)";
    return cell.split(",").map(function (pair) {
      var parts = pair.split("=");
      return humanise(parts[0]) + ": " + humanise(parts.slice(1).join("="));
    }).join("; ");
  }

  function fileSize(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  function budgetStatement(privacy) {
    if (!privacy) return "Not recorded.";
    if (privacy.rho !== undefined) {
      var eps = privacy["epsilon_at_delta_1e-7"];
      return "ρ = " + privacy.rho + " (zero-concentrated differential privacy" +
        (eps !== undefined ? "; equivalent to ε = " + eps + " at δ = 10⁻⁷" : "") + ").";
    }
    return privacy.definition ? "No privacy-loss budget: " + privacy.definition + "." : "Not recorded.";
  }

  function releaseUrl(release, path) { return release.path.replace(/\/?$/, "/") + path; }

  /* ---------- choices ---------- */

  function fillSelect(select, options, chosen) {
    select.textContent = "";
    options.forEach(function (option) {
      var node = el("option", { value: option.value }, option.label);
      if (option.value === chosen) node.selected = true;
      select.appendChild(node);
    });
    select.disabled = options.length === 0;
  }

  function tablesOf(release) {
    var tables = {};
    (release.files || []).forEach(function (file) {
      if (!file.table || !file.level) return;
      var levels = tables[file.table] = tables[file.table] || {};
      var formats = levels[file.level] = levels[file.level] || {};
      formats[file.format] = file;
    });
    return tables;
  }

  function chooseRelease(id) {
    state.release = state.index.releases.filter(function (r) { return r.id === id; })[0];
    var release = state.release;
    var status = $("release-status");
    status.className = "release-status " + release.status;
    if (release.status === "retracted") {
      status.textContent = "Withdrawn on " + release.retraction.at.slice(0, 10) + ": " +
        release.retraction.reason + " Its figures are no longer published.";
    } else if (release.status === "superseded") {
      status.textContent = "Superseded by a newer release (" + release.superseded_by +
        "). Kept for the record.";
    } else {
      status.textContent = "Current release, published " + release.published.slice(0, 10) + ".";
    }
    renderAbout(release);
    renderRegisters(release);
    renderDownloads(release);
    var tables = release.status === "retracted" ? {} : tablesOf(release);
    var names = Object.keys(tables).sort();
    fillSelect($("table"), names.map(function (n) { return { value: n, label: humanise(n) }; }), names[0]);
    chooseTable(names[0] || null);
  }

  function chooseTable(name) {
    state.table = name;
    var levels = name ? Object.keys(tablesOf(state.release)[name]) : [];
    var order = levelIds();
    levels.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    var preferred = levels.indexOf(schema.default_level) >= 0 ? schema.default_level : levels[0];
    fillSelect($("level"), levels.map(function (l) { return { value: l, label: levelLabel(l) }; }), preferred);
    chooseLevel(preferred || null);
  }

  function chooseLevel(level) {
    state.level = level;
    if (!level) { state.areas = []; fillSelect($("category"), [], null); draw(); return; }
    var formats = tablesOf(state.release)[state.table][level];
    var loading = formats.geojson ? loadGeojson(formats.geojson) : loadCsv(formats.csv);
    say("Loading " + humanise(state.table) + " by " + levelLabel(level) + "…");
    loading.then(function (areas) {
      state.areas = areas;
      var cells = areas.length ? Object.keys(areas[0].cells) : [];
      var all = schema.categories.all_cell;
      cells.sort(function (a, b) { return (a === all ? -1 : 0) - (b === all ? -1 : 0) || a.localeCompare(b); });
      var chosen = cells.indexOf(state.category) >= 0 ? state.category : cells[0];
      fillSelect($("category"), cells.map(function (c) { return { value: c, label: cellLabel(c) }; }), chosen);
      state.category = chosen || null;
      say("");
      draw();
    }).catch(function (error) { say("Could not load the figures: " + error.message); });
  }

  /* ---------- data ---------- */

  function parseKey(key) {
    var match = /^([a-z0-9_]+)\[(.*)\]$/.exec(key);
    return match ? { measure: match[1], cell: match[2] } : null;
  }

  function toCells(properties) {
    var columns = schema.columns, cells = {};
    Object.keys(properties).forEach(function (key) {
      var parsed = parseKey(key);
      if (!parsed) return;
      var cell = cells[parsed.cell] = cells[parsed.cell] || {};
      cell[parsed.measure] = properties[key];
    });
    Object.keys(cells).forEach(function (name) {
      var cell = cells[name];
      var statistic = columns.statistics.filter(function (s) { return s in cell; })[0];
      var moe = cell[columns.margin_of_error], sd = cell[columns.noise_sd];
      cell.value = statistic ? cell[statistic] : null;
      cell.statistic = statistic || "value";
      cell.moe = moe !== undefined ? moe : sd !== undefined && sd !== null ? schema.z95 * sd : null;
    });
    return cells;
  }

  function loadGeojson(file) {
    return fetchJson(releaseUrl(state.release, file.path)).then(function (collection) {
      return collection.features.map(function (feature) {
        var p = feature.properties, columns = schema.columns;
        return { code: p[columns.area_code], name: p[columns.area_name], geometry: feature.geometry,
                 approximate: !!p.geometry_approximate, cells: toCells(p) };
      });
    });
  }

  function parseCsv(text) {
    var rows = [], row = [], field = "", quoted = false;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
        else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(field); field = ""; }
      else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
      else if (c !== "\r") field += c;
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  function loadCsv(file) {
    return fetch(releaseUrl(state.release, file.path)).then(function (r) { return r.text(); }).then(function (text) {
      var rows = parseCsv(text), header = rows.shift(), byArea = {};
      var columns = schema.columns, total = schema.categories.total;
      var categories = header.filter(function (h) { return columns.fixed.indexOf(h) < 0; });
      rows.forEach(function (values) {
        var record = {};
        header.forEach(function (h, i) { record[h] = values[i]; });
        var cellName = categories.every(function (c) { return record[c] === total; }) ? schema.categories.all_cell
          : categories.map(function (c) { return c + "=" + record[c]; }).join(",");
        var code = record[columns.area_code];
        var area = byArea[code] = byArea[code] ||
          { code: code, name: record[columns.area_name], geometry: null, properties: {} };
        columns.statistics.concat(columns.errors).forEach(function (m) {
          if (record[m] !== undefined && record[m] !== "") area.properties[m + "[" + cellName + "]"] = Number(record[m]);
        });
      });
      return Object.keys(byArea).map(function (code) {
        var area = byArea[code];
        return { code: area.code, name: area.name, geometry: null, cells: toCells(area.properties) };
      });
    });
  }

  function valueOf(area) { var cell = area.cells[state.category]; return cell ? cell.value : null; }
  function moeOf(area) { var cell = area.cells[state.category]; return cell ? cell.moe : null; }

  function describe(area) {
    var value = valueOf(area), moe = moeOf(area);
    if (value === null || value === undefined) return area.name + ": no figure published";
    return area.name + ": " + number.format(value) +
      (moe !== null && moe !== undefined ? " (margin of error ± " + number.format(moe) + ")" : "");
  }

  /* ---------- map ---------- */

  function breaks(values) {
    var sorted = values.filter(function (v) { return v !== null && v !== undefined; }).sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var result = [];
    for (var k = 1; k < PALETTE.length; k++) {
      var edge = sorted[Math.min(sorted.length - 1, Math.floor(k * sorted.length / PALETTE.length))];
      if (result.indexOf(edge) < 0) result.push(edge);
    }
    return { min: sorted[0], max: sorted[sorted.length - 1], edges: result };
  }

  function colourOf(value, scale) {
    if (value === null || value === undefined || !scale.edges) return NO_VALUE;
    var band = 0;
    while (band < scale.edges.length && value >= scale.edges[band]) band++;
    return PALETTE[Math.min(band, PALETTE.length - 1)];
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return geometry.coordinates;
    if (geometry.type === "MultiPolygon") return [].concat.apply([], geometry.coordinates);
    return [];
  }

  function projection(areas) {
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    areas.forEach(function (area) {
      rings(area.geometry).forEach(function (ring) {
        ring.forEach(function (p) {
          minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]);
          minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
        });
      });
    });
    // Equirectangular, with longitude scaled by cos(latitude) so shapes keep their proportions.
    var k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
    var width = 800, spanX = Math.max((maxX - minX) * k, 1e-9), spanY = Math.max(maxY - minY, 1e-9);
    var scale = width / spanX, height = Math.max(200, Math.round(spanY * scale));
    if (height > 640) { scale = 640 / spanY; height = 640; width = Math.round(spanX * scale); }
    return { width: width, height: height,
             point: function (p) { return ((p[0] - minX) * k * scale).toFixed(1) + " " + ((maxY - p[1]) * scale).toFixed(1); } };
  }

  function pathData(geometry, project) {
    return rings(geometry).map(function (ring) {
      return "M" + ring.map(project.point).join("L") + "Z";
    }).join("");
  }

  function showDetail(area) {
    var box = $("detail");
    box.textContent = "";
    box.appendChild(el("h3", {}, area.name));
    var list = el("dl", {});
    var cell = area.cells[state.category] || {};
    [["Code", area.code], ["Category", cellLabel(state.category)],
     [capitalise(humanise(cell.statistic || "value")), cell.value === null || cell.value === undefined ? "no figure" : number.format(cell.value)],
     ["Margin of error (95%)", cell.moe === null || cell.moe === undefined ? "not given" : "± " + number.format(cell.moe)]]
      .forEach(function (pair) { list.appendChild(el("dt", {}, pair[0])); list.appendChild(el("dd", {}, pair[1])); });
    box.appendChild(list);
    if (area.approximate) box.appendChild(el("p", { "class": "hint" }, "The boundary drawn is approximate."));
    highlight(area.code);
  }

  function highlight(code) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-code]"), function (node) {
      node.classList.toggle("active", node.getAttribute("data-code") === code);
    });
  }

  function drawMap(scale) {
    var map = $("map");
    map.textContent = "";
    var drawable = state.areas.filter(function (a) { return a.geometry; });
    var level = state.level ? levelLabel(state.level) : "";
    if (!drawable.length) {
      map.setAttribute("viewBox", "0 0 800 120");
      var note = svg("text", { x: 400, y: 60, "text-anchor": "middle", "class": "map-empty" });
      note.textContent = state.areas.length ? "No boundaries are published for this level: see the table below." : "No figures to show.";
      map.appendChild(note);
      $("map-caption").textContent = "";
      return;
    }
    var project = projection(drawable);
    map.setAttribute("viewBox", "0 0 " + project.width + " " + project.height);
    $("map-caption").textContent = cellLabel(state.category) + ", by " + level.toLowerCase() +
      " (" + drawable.length + " areas). Darker means higher.";
    drawable.forEach(function (area) {
      var shape = svg("path", { d: pathData(area.geometry, project), "class": "area", tabindex: "0",
        role: "img", "data-code": area.code, fill: colourOf(valueOf(area), scale),
        "aria-label": describe(area) });
      var title = svg("title", {}); title.textContent = describe(area); shape.appendChild(title);
      ["mouseenter", "focus", "click"].forEach(function (event) {
        shape.addEventListener(event, function () { showDetail(area); });
      });
      map.appendChild(shape);
    });
  }

  function drawLegend(scale) {
    var legend = $("legend");
    legend.textContent = "";
    if (!scale.edges) return;
    legend.appendChild(el("p", { "class": "legend-title" }, cellLabel(state.category)));
    var list = el("ul", {});
    var bounds = [scale.min].concat(scale.edges).concat([scale.max]);
    for (var i = 0; i <= scale.edges.length; i++) {
      var item = el("li", {});
      var swatch = el("span", { "class": "swatch", "aria-hidden": "true" });
      swatch.style.background = PALETTE[i];
      item.appendChild(swatch);
      var upper = i < scale.edges.length ? "under " + number.format(bounds[i + 1]) : "up to " + number.format(scale.max);
      item.appendChild(document.createTextNode(number.format(bounds[i]) + " – " + upper));
      list.appendChild(item);
    }
    var none = el("li", {});
    var grey = el("span", { "class": "swatch", "aria-hidden": "true" });
    grey.style.background = NO_VALUE;
    none.appendChild(grey); none.appendChild(document.createTextNode("No figure published"));
    list.appendChild(none);
    legend.appendChild(list);
  }

  /* ---------- table ---------- */

  function drawTable() {
    var body = document.querySelector("#figures tbody");
    body.textContent = "";
    $("figures-caption").textContent = state.table ? humanise(state.table) + " by " +
      levelLabel(state.level) + ": " + cellLabel(state.category || schema.categories.all_cell) : "";
    var key = state.sort.key, direction = state.sort.ascending ? 1 : -1;
    var rows = state.areas.slice().sort(function (a, b) {
      var x = key === "value" ? valueOf(a) : key === "moe" ? moeOf(a) : a[key];
      var y = key === "value" ? valueOf(b) : key === "moe" ? moeOf(b) : b[key];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * direction;
    });
    rows.forEach(function (area) {
      var row = el("tr", { tabindex: "0", "data-code": area.code, "aria-label": describe(area) });
      var value = valueOf(area), moe = moeOf(area);
      row.appendChild(el("th", { scope: "row" }, area.name));
      row.appendChild(el("td", {}, area.code));
      row.appendChild(el("td", { "class": "num" }, value === null || value === undefined ? "–" : number.format(value)));
      row.appendChild(el("td", { "class": "num" }, moe === null || moe === undefined ? "–" : "± " + number.format(moe)));
      ["focus", "mouseenter", "click"].forEach(function (event) {
        row.addEventListener(event, function () { showDetail(area); });
      });
      body.appendChild(row);
    });
    Array.prototype.forEach.call(document.querySelectorAll("#figures thead th"), function (th) {
      var sortKey = th.querySelector("button").getAttribute("data-sort");
      th.setAttribute("aria-sort", sortKey === key ? (state.sort.ascending ? "ascending" : "descending") : "none");
    });
  }

  function draw() {
    var scale = breaks(state.areas.map(valueOf));
    drawMap(scale);
    drawLegend(scale);
    drawTable();
  }

  /* ---------- release information ---------- */

  function renderDownloads(release) {
    var box = $("downloads");
    box.textContent = "";
    if (release.status === "retracted") {
      box.appendChild(el("p", {}, "This release was withdrawn; its files are not available."));
      return;
    }
    var groups = {};
    (release.files || []).forEach(function (file) {
      var group = file.table ? humanise(file.table) : "About this release (metadata)";
      (groups[group] = groups[group] || []).push(file);
    });
    Object.keys(groups).sort().forEach(function (group) {
      box.appendChild(el("h3", {}, group));
      var list = el("ul", { "class": "downloads" });
      groups[group].forEach(function (file) {
        var item = el("li", {});
        var label = file.level ? levelLabel(file.level) + " — " + file.format.toUpperCase()
          : file.path;
        item.appendChild(el("a", { href: releaseUrl(release, file.path), download: "" }, label));
        item.appendChild(document.createTextNode(" (" + fileSize(file.bytes) +
          (file.rows ? ", " + file.rows + " rows" : "") + ")"));
        list.appendChild(item);
      });
      box.appendChild(list);
    });
  }

  function renderAbout(release) {
    var about = $("about");
    about.textContent = "";
    var licence = release.licence || {};
    var rows = [
      ["What", release.description || release.title],
      ["How it was protected", release.method_statement || release.method],
      ["Privacy budget", budgetStatement(release.privacy)],
      ["Approved by", release.approved_by + " on " + String(release.approved_at).slice(0, 10)],
      ["Published by", release.publisher + " on " + release.published.slice(0, 10)],
      ["DPIA reference", release.dpia_reference || "not recorded"],
      ["Legal basis", release.legal_basis || "not recorded"],
      ["Figures refer to", release.reference_date || "the date of the release"]
    ];
    rows.forEach(function (pair) { about.appendChild(el("dt", {}, pair[0])); about.appendChild(el("dd", {}, pair[1])); });
    about.appendChild(el("dt", {}, "Licence"));
    var dd = el("dd", {});
    if (licence.url) dd.appendChild(el("a", { href: licence.url, rel: "license" }, licence.title || licence.id));
    (licence.attribution || []).forEach(function (line) { dd.appendChild(el("p", { "class": "attribution" }, line)); });
    about.appendChild(dd);
    if (release.geography && release.geography.synthetic) {
      about.appendChild(el("dt", {}, "Geography"));
      about.appendChild(el("dd", {}, "A synthetic demonstration borough: an invented place, not real boundaries."));
    }
  }

  function renderRegisters(release) {
    var box = $("registers");
    box.textContent = "";
    var text = "The transparency register lists every release. This one: " +
      (release.status === "retracted" ? "withdrawn (" + release.retraction.reason + ")" : release.status) +
      "; published on " + release.published.slice(0, 10) + "; approved by " + release.approved_by +
      "; DPIA " + (release.dpia_reference || "not recorded") + "; legal basis " +
      (release.legal_basis || "not recorded") + ".";
    box.appendChild(el("p", {}, text));
    var rows = state.registers.sharing || [];
    // A withdrawal is a further row about the same release: fold it into the issue it ends.
    var withdrawn = {};
    rows.forEach(function (e) { if (e.withdrawn_on) { withdrawn[e.release_id] = e.withdrawn_on; } });
    var sharing = rows.filter(function (e) { return !e.withdrawn_on; });
    var sharingText = sharing.length
      ? "The data sharing register records " + sharing.length + " agreement(s) under which record-level data were shared: " +
        sharing.map(function (e) {
          var end = withdrawn[e.release_id] ? ", withdrawn on " + withdrawn[e.release_id] : ", until " + e.expiry;
          return e.recipient_organisation + " (" + e.purpose + end + ")";
        }).join("; ") + "."
      : "The data sharing register records no record-level data shared with other organisations.";
    box.appendChild(el("p", {}, sharingText));
    var links = el("ul", {});
    [["registers/transparency.html", "Transparency register"], ["registers/data-sharing.html", "Data sharing register"],
     ["catalog.jsonld", "Catalogue metadata (DCAT)"]].forEach(function (pair) {
      var item = el("li", {}); item.appendChild(el("a", { href: pair[0] }, pair[1])); links.appendChild(item);
    });
    box.appendChild(links);
  }

  /* ---------- start ---------- */

  function start(index) {
    state.index = index;
    if (index.publisher) $("publisher").textContent = index.publisher;
    var releases = index.releases.slice().sort(function (a, b) {
      var order = { current: 0, superseded: 1, retracted: 2 };
      return order[a.status] - order[b.status] || b.published.localeCompare(a.published);
    });
    if (!releases.length) { say("Nothing has been published yet."); return; }
    fillSelect($("release"), releases.map(function (r) {
      var suffix = r.status === "current" ? "" : r.status === "superseded" ? " (superseded)" : " (withdrawn)";
      return { value: r.id, label: r.title + " — " + r.published.slice(0, 10) + suffix };
    }), releases[0].id);
    say("");
    chooseRelease(releases[0].id);
  }

  $("release").addEventListener("change", function (e) { chooseRelease(e.target.value); });
  $("table").addEventListener("change", function (e) { chooseTable(e.target.value); });
  $("level").addEventListener("change", function (e) { chooseLevel(e.target.value); });
  $("category").addEventListener("change", function (e) { state.category = e.target.value; draw(); });
  $("choices").addEventListener("submit", function (e) { e.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll("#figures thead button"), function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-sort");
      state.sort = { key: key, ascending: state.sort.key === key ? !state.sort.ascending : key === "name" || key === "code" };
      drawTable();
    });
  });

  fetchJson("schema.json")
    .then(function (doc) { schema = doc; })
    .then(function () {
      return fetchJson("registers/data-sharing.json")
        .then(function (doc) { state.registers.sharing = doc.entries || []; })
        .catch(function () { state.registers.sharing = []; })
        .then(function () { return fetchJson("index.json"); })
        .then(start)
        .catch(function () { say("Nothing has been published in this catalogue yet."); });
    }, function () { say("Could not load the published schema (schema.json) of this catalogue."); });
})();
