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

  var state = { index: null, release: null, table: null, level: null, category: null, borough: null,
                areas: [], sort: { key: "name", ascending: true }, registers: {},
                geo: null, manifest: null, wanted: null, selected: null, cache: {} };
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
      // A release over many boroughs has one GeoJSON file per borough at the finer levels.
      if (file.borough) (formats.parts = formats.parts || {})[file.borough] = file;
      else formats[file.format] = file;
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
    renderProtection(release);
    var tables = release.status === "retracted" ? {} : tablesOf(release);
    var names = Object.keys(tables).sort();
    var wanted = state.wanted && names.indexOf(state.wanted.table) >= 0 ? state.wanted.table : names[0];
    fillSelect($("table"), names.map(function (n) { return { value: n, label: humanise(n) }; }), wanted);
    state.manifest = null;
    var manifest = release.status === "retracted" ? Promise.resolve(null)
      : fetchJson(releaseUrl(release, "manifest.json")).catch(function () { return null; });
    manifest.then(function (doc) {
      if (state.release !== release) return;
      state.manifest = doc;
      chooseTable(wanted || null);
    });
  }

  function chooseTable(name) {
    state.table = name;
    var levels = name ? Object.keys(tablesOf(state.release)[name]) : [];
    var order = levelIds();
    levels.sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    var preferred = levels.indexOf(schema.default_level) >= 0 ? schema.default_level : levels[0];
    if (state.wanted && levels.indexOf(state.wanted.level) >= 0) preferred = state.wanted.level;
    $("value-heading").textContent = unitLabel();
    fillSelect($("level"), levels.map(function (l) { return { value: l, label: levelLabel(l) }; }), preferred);
    chooseLevel(preferred || null);
  }

  function boroughName(code) {
    var known = geoArea(code);
    return known ? known.name : code;
  }

  function chooseBoroughs(level) {
    // Levels split by borough show one borough at a time: the wanted one, the one shown, or the first.
    var formats = level ? (tablesOf(state.release)[state.table] || {})[level] : null;
    var parts = formats && formats.parts ? Object.keys(formats.parts) : [];
    if (formats && !parts.length && !formats.geojson && filtersCsv(level)) {
      parts = Object.keys(state.geo.byBorough);  // figures without shapes: listed one borough at a time
    }
    $("borough-field").hidden = !parts.length;
    if (!parts.length) { fillSelect($("borough"), [], null); return null; }
    parts.sort(function (a, b) { return boroughName(a).localeCompare(boroughName(b)) || a.localeCompare(b); });
    var wanted = state.wanted && state.wanted.borough;
    var chosen = parts.indexOf(wanted) >= 0 ? wanted : parts.indexOf(state.borough) >= 0 ? state.borough : parts[0];
    fillSelect($("borough"), parts.map(function (code) {
      var name = boroughName(code);
      return { value: code, label: name === code ? code : name + " (" + code + ")" };
    }), chosen);
    state.borough = chosen;
    return chosen;
  }

  function filtersCsv(level) {
    // A table with no shapes (a lookup-only geography) over several boroughs: its rows below the
    // borough level are shown for the chosen borough only, as the map is for GeoJSON files.
    var order = levelIds();
    return !!(state.geo && Object.keys(state.geo.byBorough || {}).length > 1 &&
              order.indexOf(level) < order.indexOf("borough"));
  }

  function inBorough(areas, borough) {
    return areas.filter(function (area) {
      var known = geoArea(area.code);
      return known && (known["in"] || {}).borough === borough;
    });
  }

  function boroughAreas(code) {
    // A bundle of several boroughs lists each borough's OAs and LSOAs in a file of its own.
    var geo = state.geo, path = geo && code && geo.byBorough[code];
    if (!path || geo.loaded[code]) return Promise.resolve();
    geo.loaded[code] = fetchJson(path).then(function (doc) {
      doc.areas.forEach(function (a) { if (!geo.areas[a.code]) { geo.areas[a.code] = a; geo.list.push(a); } });
    }).catch(function () { geo.loaded[code] = null; });
    return geo.loaded[code];
  }

  function chooseLevel(level) {
    state.level = level;
    var borough = chooseBoroughs(level);
    if (!level) { state.areas = []; fillSelect($("category"), [], null); draw(); return; }
    var release = state.release, table = state.table;
    say("Loading " + humanise(state.table) + " by " + levelLabel(level) +
        (borough ? " in " + boroughName(borough) : "") + "…");
    return boroughAreas(borough).then(function () {
      return loadLevel(release, table, level, borough);
    }).then(function (areas) {
      if (state.release !== release || state.table !== table || state.level !== level || state.borough !== borough && borough) return;
      var formats = (tablesOf(release)[table] || {})[level] || {};
      if (borough && !formats.parts) areas = inBorough(areas, borough);
      state.areas = areas;
      var cells = areas.length ? Object.keys(areas[0].cells) : [];
      var all = schema.categories.all_cell;
      cells.sort(function (a, b) { return (a === all ? -1 : 0) - (b === all ? -1 : 0) || a.localeCompare(b); });
      var chosen = cells.indexOf(state.category) >= 0 ? state.category : cells[0];
      var wanted = state.wanted;
      if (wanted && cells.indexOf(wanted.category) >= 0) chosen = wanted.category;
      fillSelect($("category"), cells.map(function (c) { return { value: c, label: cellLabel(c) }; }), chosen);
      state.category = chosen || null;
      say("");
      draw();
      state.wanted = null;
      var selected = wanted && wanted.area ? wanted.area : state.selected;
      var area = areas.filter(function (a) { return a.code === selected; })[0];
      if (area) showDetail(area); else { state.selected = null; hideArea(); }
      writeUrl();
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
      cell.value = statistic && cell[statistic] !== undefined ? cell[statistic] : null;
      cell.status = cell[columns.status] || null;
      cell.statistic = statistic || "value";
      cell.moe = moe !== undefined ? moe : sd !== undefined && sd !== null ? schema.z95 * sd : null;
    });
    return cells;
  }

  function loadLevel(release, table, level, borough) {
    var formats = (tablesOf(release)[table] || {})[level];
    if (!formats) return Promise.resolve([]);
    var part = null;
    if (formats.parts) {
      // Only the chosen borough's shapes are fetched: never every area of a national release.
      part = formats.parts[borough] || formats.parts[state.borough] || formats.parts[Object.keys(formats.parts).sort()[0]];
    }
    var key = release.id + "|" + table + "|" + level + (part ? "|" + part.borough : "");
    if (!state.cache[key]) {
      state.cache[key] = (part ? loadGeojson(release, part) : formats.geojson ? loadGeojson(release, formats.geojson) : loadCsv(release, formats.csv))
        .then(function (areas) {
          areas.forEach(function (area) { area.level = level; area.name = placeName(area, level); });
          return areas;
        });
    }
    return state.cache[key];
  }

  function loadGeojson(release, file) {
    return fetchJson(releaseUrl(release, file.path)).then(function (collection) {
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

  function loadCsv(release, file) {
    return fetch(releaseUrl(release, file.path)).then(function (r) { return r.text(); }).then(function (text) {
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
        var status = record[columns.status];
        if (status) area.properties[columns.status + "[" + cellName + "]"] = status;
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
    if (value === null || value === undefined) return area.name + ": no figure published" +
      (isCellKey() ? " (suppressed: too few residents)" : "");
    if (isCellKey()) return area.name + ": " + number.format(value) + " " + unitLabel().toLowerCase() + " (" + protectionText() + ")";
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
    var figure = cell.value === null || cell.value === undefined ? "no figure" : number.format(cell.value);
    var error = isCellKey() ? ["How protected", marginText(cell)]
      : ["Margin of error (95%)", cell.moe === null || cell.moe === undefined ? "not given" : "± " + number.format(cell.moe)];
    [["Code", area.code], ["Category", cellLabel(state.category)],
     [cell.statistic === "count" || !cell.statistic ? unitLabel() : capitalise(humanise(cell.statistic)), figure], error]
      .forEach(function (pair) { list.appendChild(el("dt", {}, pair[0])); list.appendChild(el("dd", {}, pair[1])); });
    box.appendChild(list);
    if (area.approximate) box.appendChild(el("p", { "class": "hint" }, "The boundary drawn is approximate."));
    highlight(area.code);
    if (state.selected !== area.code) { state.selected = area.code; writeUrl(); renderArea(area); }
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
      row.appendChild(el("td", { "class": "num" }, isCellKey() ? marginText(area.cells[state.category] || {})
        : moe === null || moe === undefined ? "–" : "± " + number.format(moe)));
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
    function link(file, label) {
      var item = el("li", {});
      item.appendChild(el("a", { href: releaseUrl(release, file.path), download: "" }, label));
      item.appendChild(document.createTextNode(" (" + fileSize(file.bytes) +
        (file.rows ? ", " + file.rows + " rows" : "") + ")"));
      return item;
    }
    Object.keys(groups).sort().forEach(function (group) {
      box.appendChild(el("h3", {}, group));
      var list = el("ul", { "class": "downloads" }), perBorough = {};
      groups[group].forEach(function (file) {
        if (file.borough) {
          // Files of one level split by borough are listed together, folded.
          var key = file.level + "|" + file.format;
          if (!perBorough[key]) {
            var item = el("li", {}), details = el("details", {});
            perBorough[key] = { files: el("ul", {}), summary: el("summary", {}), count: 0 };
            details.appendChild(perBorough[key].summary); details.appendChild(perBorough[key].files);
            item.appendChild(details); list.appendChild(item);
          }
          var part = perBorough[key];
          part.count += 1;
          part.summary.textContent = levelLabel(file.level) + " — " + file.format.toUpperCase() +
            ", one file per borough (" + part.count + ")";
          part.files.appendChild(link(file, boroughName(file.borough)));
          return;
        }
        list.appendChild(link(file, file.level ? levelLabel(file.level) + " — " + file.format.toUpperCase() : file.path));
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

  /* ---------- units, protection, places ---------- */

  function unitLabel() {
    var tables = state.manifest && state.manifest.tables || {};
    var unit = (tables[state.table] || {}).unit;
    return capitalise(humanise(unit || "count"));
  }

  function isCellKey(release) {
    var r = release || state.release;
    if (!r) return false;
    var definition = r.privacy && r.privacy.definition || "";
    return r.method === "sdc-tables" || /cell-key/.test(definition);
  }

  function protectionText() {
    var privacy = state.release && state.release.privacy || {};
    return "perturbed" + (privacy.rounding_base ? ", rounded to the nearest " + privacy.rounding_base : ", rounded");
  }

  function marginText(cell) {
    if (cell.status === "suppressed" || cell.value === null || cell.value === undefined) {
      var threshold = state.release.privacy && state.release.privacy.threshold;
      return "suppressed (" + (threshold ? "fewer than " + threshold : "too few") + ")";
    }
    return protectionText();
  }

  function renderProtection(release) {
    var cellKey = isCellKey(release), privacy = release.privacy || {};
    $("moe-heading").textContent = cellKey ? "How protected" : "Margin of error (95%)";
    $("footer-note").textContent = cellKey
      ? "Figures were protected with the ONS cell-key method: each count was changed by a small, fixed amount " +
        "(perturbation)" + (privacy.threshold ? ", counts below " + privacy.threshold + " were suppressed (left empty)" : "") +
        " and counts were rounded" + (privacy.rounding_base ? " to the nearest " + privacy.rounding_base : "") +
        ". No margin of error is published for this method: a count may differ from the true count by the perturbation and the rounding."
      : "Figures are protected before publication: they are close to, but not exactly, the true counts. The margin of error shows how close.";
  }

  function geoArea(code) { return state.geo && state.geo.areas[code] || null; }

  function placeName(area, level) {
    var known = geoArea(area.code), ward = known && known.in.ward && geoArea(known.in.ward);
    var name = area.name || (known && known.name) || area.code;
    if (level === "oa" && ward) return area.code + ", in " + ward.name;
    return name;
  }

  function loadGeography() {
    return fetchJson("geography/index.json").then(function (doc) {
      var bundle = (doc.bundles || [])[0];
      if (!bundle) return;
      return Promise.all([fetchJson(bundle.areas),
                          bundle.postcodes ? fetchJson(bundle.postcodes) : Promise.resolve({ postcodes: {} })])
        .then(function (docs) {
          var areas = {};
          docs[0].areas.forEach(function (a) { areas[a.code] = a; });
          state.geo = { bundles: doc.bundles, areas: areas, list: docs[0].areas, postcodes: docs[1].postcodes || {},
                        byBorough: bundle.areas_by_borough || {}, loaded: {} };
        });
    }).catch(function () { state.geo = null; });
  }

  /* ---------- the view in the URL ---------- */

  function readUrl() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts[0]) wanted[decodeURIComponent(parts[0])] = decodeURIComponent(parts.slice(1).join("="));
    });
    return Object.keys(wanted).length ? wanted : null;
  }

  function writeUrl() {
    if (!state.release) return;
    var split = !$("borough-field").hidden;
    var view = { release: state.release.id, table: state.table, level: state.level,
                 borough: split ? state.borough : null, category: state.category, area: state.selected };
    var hash = "#" + Object.keys(view).filter(function (k) { return view[k]; }).map(function (k) {
      return k + "=" + encodeURIComponent(view[k]);
    }).join("&");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  /* ---------- search ---------- */

  function normalisePostcode(text) { return text.toUpperCase().replace(/\s+/g, ""); }

  function searchable() {
    if (state.geo) return state.geo.list;
    return state.areas.map(function (a) { return { code: a.code, name: a.name, level: state.level, "in": {} }; });
  }

  function search(text) {
    var query = text.trim().toLowerCase(), list = $("search-results");
    list.textContent = "";
    if (query.length < 2) { $("search-status").textContent = ""; return; }
    var found = [];
    if (state.geo) {
      var wanted = normalisePostcode(text);
      Object.keys(state.geo.postcodes).forEach(function (postcode) {
        if (found.length < 10 && normalisePostcode(postcode).indexOf(wanted) === 0 && wanted.length >= 3) {
          found.push({ label: "Postcode " + postcode + ": " + labelOf(geoArea(state.geo.postcodes[postcode])),
                       area: geoArea(state.geo.postcodes[postcode]) });
        }
      });
    }
    searchable().forEach(function (area) {
      if (found.length >= 20) return;
      if (area.name.toLowerCase().indexOf(query) >= 0 || area.code.toLowerCase().indexOf(query) === 0) {
        found.push({ label: labelOf(area), area: area });
      }
    });
    found = found.filter(function (f) { return f.area; });
    $("search-status").textContent = found.length ? found.length + " area(s) found: Tab or the down arrow to choose"
      : "No area found for “" + text.trim() + "”.";
    found.forEach(function (item) {
      var li = el("li", {});
      var button = el("button", { type: "button", "data-code": item.area.code }, item.label);
      button.addEventListener("click", function () { selectArea(item.area); });
      button.addEventListener("keydown", function (e) {
        var next = e.key === "ArrowDown" ? li.nextSibling : e.key === "ArrowUp" ? li.previousSibling : null;
        if (next) { e.preventDefault(); next.querySelector("button").focus(); }
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  function labelOf(area) {
    if (!area) return "";
    var name = area.level === "oa" ? placeName(area, "oa") : area.name + (area.name === area.code ? "" : " (" + area.code + ")");
    return name + " — " + levelLabel(area.level);
  }

  function selectArea(area) {
    // Show the area at its own level, or at the finest published level that contains it.
    var published = Object.keys((tablesOf(state.release)[state.table]) || {});
    var level = area.level, code = area.code;
    if (published.indexOf(level) < 0) {
      var order = levelIds(), candidates = published.filter(function (l) {
        return order.indexOf(l) > order.indexOf(area.level) && area["in"][l];
      }).sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
      if (!candidates.length) { $("search-status").textContent = "This table is not published for that area."; return; }
      level = candidates[0]; code = area["in"][level];
    }
    $("search-results").textContent = "";
    state.selected = null;
    var known = geoArea(code);
    state.wanted = { category: state.category, area: code,
                     borough: known && known["in"].borough || (area.level === level ? area["in"].borough : null) };
    $("level").value = level;
    chooseLevel(level).then(function () {
      var node = document.querySelector("#figures tbody tr[data-code='" + code + "']");
      if (node) node.focus();
    });
  }

  /* ---------- the chosen area: chart and comparison ---------- */

  function hideArea() { $("area-panel").hidden = true; }

  function shares(area) {
    var all = schema.categories.all_cell, total = area && area.cells[all] && area.cells[all].value, out = {};
    if (!area) return out;
    Object.keys(area.cells).forEach(function (name) {
      if (name === all) return;
      var cell = area.cells[name];
      var ok = total && cell.value !== null && cell.value !== undefined;
      out[name] = { share: ok ? 100 * cell.value / total : null,
                    moe: ok && cell.moe !== null && cell.moe !== undefined ? 100 * cell.moe / total : null };
    });
    return out;
  }

  function parentOf(area, level) {
    if (area.level === level) return area.code;
    var known = geoArea(area.code);
    if (known && known["in"][level]) return known["in"][level];
    return null;
  }

  function renderArea(area) {
    var release = state.release, table = state.table, category = state.category;
    var wardCode = parentOf(area, "ward"), boroughCode = parentOf(area, "borough");
    var levels = tablesOf(release)[table] || {};
    var find = function (level, code) {
      if (!code || !levels[level]) return Promise.resolve(null);
      return loadLevel(release, table, level, boroughCode).then(function (areas) {
        return areas.filter(function (a) { return a.code === code; })[0] || null;
      });
    };
    var boroughPromise = boroughCode ? find("borough", boroughCode) : levels.borough
      ? loadLevel(release, table, "borough").then(function (areas) { return areas[0] || null; }) : Promise.resolve(null);
    Promise.all([find("ward", wardCode), boroughPromise, previousArea(release, table, area)]).then(function (found) {
      if (state.selected !== area.code || state.release !== release) return;
      $("area-panel").hidden = false;
      $("area-heading").textContent = area.name + " compared";
      drawAreaChart(area, area.level === "ward" ? null : found[0], area.level === "borough" ? null : found[1]);
      drawComparison(area, found[2], category);
    });
  }

  function drawAreaChart(area, ward, borough) {
    var box = $("area-chart");
    box.textContent = "";
    var series = [{ name: area.name, key: "area", data: shares(area) }];
    if (ward) series.push({ name: "Ward: " + ward.name, key: "ward", data: shares(ward) });
    if (borough) series.push({ name: "Borough: " + borough.name, key: "borough", data: shares(borough) });
    var cells = Object.keys(series[0].data).sort();
    var cellKey = isCellKey();
    box.appendChild(el("p", { "class": "caption" }, "Share of " + unitLabel().toLowerCase() + " in each category (%)" +
      (cellKey ? "; figures perturbed and rounded, so no margin of error is drawn." : "; lines show the 95% margin of error.")));
    var rowHeight = 16, gap = 10, left = 180, width = 720, plot = width - left - 60;
    var height = cells.length * (series.length * rowHeight + gap) + 30;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "class": "area-chart",
                             id: "area-svg", "aria-labelledby": "area-svg-title" });
    var title = svg("title", { id: "area-svg-title" });
    var summary = [];
    var y = 10;
    cells.forEach(function (cell) {
      var label = svg("text", { x: 0, y: y + rowHeight, "class": "chart-label" });
      label.textContent = cellLabel(cell);
      chart.appendChild(label);
      series.forEach(function (s) {
        var d = s.data[cell] || {}, share = d.share;
        if (share !== null && share !== undefined) {
          chart.appendChild(svg("rect", { x: left, y: y, width: Math.max(0, plot * share / 100).toFixed(1), height: rowHeight - 3,
                                          "class": "bar-" + s.key, "data-series": s.key, "data-cell": cell }));
          var text = number.format(share) + "%";
          if (d.moe !== null && d.moe !== undefined && !cellKey) {
            var lo = Math.max(0, share - d.moe), hi = Math.min(100, share + d.moe), mid = y + (rowHeight - 3) / 2;
            chart.appendChild(svg("line", { x1: (left + plot * lo / 100).toFixed(1), x2: (left + plot * hi / 100).toFixed(1),
                                            y1: mid, y2: mid, "class": "error-bar", "data-series": s.key }));
            text += " ± " + number.format(d.moe);
          }
          var value = svg("text", { x: (left + plot * Math.min(100, share + (d.moe || 0)) / 100 + 4).toFixed(1), y: y + rowHeight - 4, "class": "chart-label" });
          value.textContent = text;
          chart.appendChild(value);
          summary.push(cellLabel(cell) + ", " + s.name + ": " + text);
        }
        y += rowHeight;
      });
      y += gap;
    });
    title.textContent = "Shares for " + series.map(function (s) { return s.name; }).join(", ") + ". " + summary.join("; ");
    chart.insertBefore(title, chart.firstChild);
    box.appendChild(chart);
    var key = el("ul", { "class": "chart-key" });
    series.forEach(function (s) {
      var li = el("li", {});
      var swatch = el("span", { "class": "swatch bar-" + s.key + "-swatch", "aria-hidden": "true" });
      swatch.style.background = { area: "#08519c", ward: "#6baed6", borough: "#bdd7e7" }[s.key];
      li.appendChild(swatch); li.appendChild(document.createTextNode(s.name)); key.appendChild(li);
    });
    box.appendChild(key);
  }

  function previousRelease(release) {
    return state.index.releases.filter(function (r) {
      // An earlier release of the same name: the one it superseded, or one built before it.
      return r.name === release.name && r.id !== release.id && r.status !== "retracted" &&
        (r.superseded_by === release.id || String(r.created) < String(release.created));
    }).sort(function (a, b) { return String(b.created).localeCompare(String(a.created)); })[0] || null;
  }

  function previousArea(release, table, area) {
    var before = previousRelease(release);
    if (!before || !(tablesOf(before)[table] || {})[area.level]) return Promise.resolve(null);
    return loadLevel(before, table, area.level, parentOf(area, "borough")).then(function (areas) {
      var match = areas.filter(function (a) { return a.code === area.code; })[0];
      return match ? { release: before, area: match } : null;
    }).catch(function () { return null; });
  }

  function figure(cell, cellKey) {
    if (!cell || cell.value === null || cell.value === undefined) return "no figure";
    return number.format(cell.value) + (cellKey || cell.moe === null || cell.moe === undefined ? "" : " ± " + number.format(cell.moe));
  }

  function drawComparison(area, previous, category) {
    var box = $("area-compare");
    box.textContent = "";
    if (!previous) {
      box.appendChild(el("p", { "class": "hint" }, "No earlier release of this table was published to compare with."));
      return;
    }
    var before = previous.release;
    box.appendChild(el("h3", {}, "Compared with the previous release (" + before.published.slice(0, 10) + ")"));
    var table = el("table", { "class": "compare", id: "compare-table" });
    table.appendChild(el("caption", {}, area.name + ": " + unitLabel().toLowerCase() + " now and in " + before.id +
      (isCellKey() ? "" : " (± 95% margin of error)")));
    var head = el("tr", {});
    ["Category", "This release", "Previous release", "Change"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    var thead = el("thead", {}); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody", {});
    Object.keys(area.cells).sort().forEach(function (name) {
      var now = area.cells[name], then = previous.area.cells[name];
      var row = el("tr", name === category ? { "class": "current" } : {});
      row.appendChild(el("th", { scope: "row" }, cellLabel(name)));
      row.appendChild(el("td", { "class": "num" }, figure(now, isCellKey())));
      row.appendChild(el("td", { "class": "num" }, figure(then, isCellKey(before))));
      var change = now && then && now.value !== null && then.value !== null && now.value !== undefined && then.value !== undefined
        ? (now.value - then.value >= 0 ? "+" : "") + number.format(now.value - then.value) : "–";
      row.appendChild(el("td", { "class": "num" }, change));
      body.appendChild(row);
    });
    table.appendChild(body);
    box.appendChild(table);
    if (!isCellKey()) box.appendChild(el("p", { "class": "hint" }, "A change smaller than the margins of error may be noise."));
  }

  /* ---------- start ---------- */

  function start(index) {
    state.index = index;
    if (index.publisher) $("publisher").textContent = index.publisher;
    var releases = index.releases.slice().sort(function (a, b) {
      var order = { current: 0, superseded: 1, retracted: 2 };
      // Newest first; releases published in the same second by the date their figures were made.
      return order[a.status] - order[b.status] || b.published.localeCompare(a.published) ||
        String(b.created).localeCompare(String(a.created));
    });
    if (!releases.length) { say("Nothing has been published yet."); return; }
    fillSelect($("release"), releases.map(function (r) {
      var suffix = r.status === "current" ? "" : r.status === "superseded" ? " (superseded)" : " (withdrawn)";
      return { value: r.id, label: r.title + " — " + r.published.slice(0, 10) + suffix };
    }), releases[0].id);
    say("");
    state.wanted = readUrl();
    var wanted = releases.filter(function (r) { return state.wanted && r.id === state.wanted.release; })[0];
    $("release").value = (wanted || releases[0]).id;
    chooseRelease((wanted || releases[0]).id);
  }

  $("release").addEventListener("change", function (e) { chooseRelease(e.target.value); });
  $("table").addEventListener("change", function (e) { chooseTable(e.target.value); });
  $("level").addEventListener("change", function (e) { chooseLevel(e.target.value); });
  $("borough").addEventListener("change", function (e) {
    state.borough = e.target.value; state.selected = null; hideArea(); chooseLevel(state.level);
  });
  $("category").addEventListener("change", function (e) {
    state.category = e.target.value; draw(); writeUrl();
    var area = state.areas.filter(function (a) { return a.code === state.selected; })[0];
    if (area) { showDetail(area); renderArea(area); }
  });
  $("search").addEventListener("input", function (e) { search(e.target.value); });
  $("search").addEventListener("keydown", function (e) {
    var first = document.querySelector("#search-results button");
    if (e.key === "Enter" || e.key === "ArrowDown") { e.preventDefault(); if (first) first.focus(); }
  });
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
        .then(function () { return loadGeography(); })
        .then(function () { return fetchJson("index.json"); })
        .then(start)
        .catch(function () { say("Nothing has been published in this catalogue yet."); });
    }, function () { say("Could not load the published schema (schema.json) of this catalogue."); });
})();
