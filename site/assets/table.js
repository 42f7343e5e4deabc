// migcov tables: sort by any column, filter by text and by facet, page long tables.
// Progressive enhancement only: without JavaScript every table is complete and readable.
(function () {
  "use strict";
  var PAGE = 100;

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    return raw !== null ? raw : cell.textContent.trim();
  }

  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    var numeric = a !== "" && b !== "" && !isNaN(x) && !isNaN(y) &&
      /^-?[\d.,]+%?$/.test(a.replace(/\s/g, "")) && /^-?[\d.,]+%?$/.test(b.replace(/\s/g, ""));
    if (numeric) {
      return parseFloat(a.replace(/,/g, "")) - parseFloat(b.replace(/,/g, ""));
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function enhance(table, number) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var state = { column: -1, ascending: true, text: "", facets: {}, page: 0 };

    var controls = document.createElement("div");
    controls.className = "table-controls";
    var label = document.createElement("label");
    label.textContent = "Filter ";
    var input = document.createElement("input");
    input.type = "search";
    input.className = "table-filter";
    input.setAttribute("aria-controls", table.id || (table.id = "table-" + number));
    label.appendChild(input);
    controls.appendChild(label);

    headers.forEach(function (th, index) {
      if (!th.hasAttribute("data-facet")) return;
      var values = {};
      rows.forEach(function (row) { values[cellValue(row, index)] = true; });
      var facetLabel = document.createElement("label");
      facetLabel.textContent = " " + th.textContent.trim() + " ";
      var select = document.createElement("select");
      select.className = "table-facet";
      select.setAttribute("data-column", index);
      var all = document.createElement("option");
      all.value = "";
      all.textContent = "all";
      select.appendChild(all);
      Object.keys(values).sort().forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        state.facets[index] = select.value;
        state.page = 0;
        update();
      });
      facetLabel.appendChild(select);
      controls.appendChild(facetLabel);
    });

    var status = document.createElement("p");
    status.className = "table-status";
    status.setAttribute("role", "status");
    var pager = document.createElement("div");
    pager.className = "table-pager";
    var wrap = table.parentNode.classList.contains("table-wrap") ? table.parentNode : table;
    wrap.parentNode.insertBefore(controls, wrap);
    wrap.parentNode.insertBefore(status, wrap.nextSibling);
    status.parentNode.insertBefore(pager, status.nextSibling);

    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        state.ascending = state.column === index ? !state.ascending : true;
        state.column = index;
        headers.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", state.ascending ? "ascending" : "descending");
        update();
      });
    });

    input.addEventListener("input", function () {
      state.text = input.value.toLowerCase();
      state.page = 0;
      update();
    });

    function update() {
      var shown = rows.filter(function (row) {
        if (state.text && row.textContent.toLowerCase().indexOf(state.text) < 0) return false;
        return Object.keys(state.facets).every(function (index) {
          var wanted = state.facets[index];
          return !wanted || cellValue(row, +index) === wanted;
        });
      });
      if (state.column >= 0) {
        shown.sort(function (a, b) {
          var order = compare(cellValue(a, state.column), cellValue(b, state.column));
          return state.ascending ? order : -order;
        });
      }
      var pages = Math.max(1, Math.ceil(shown.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      var first = shown.length > PAGE ? state.page * PAGE : 0;
      var last = shown.length > PAGE ? first + PAGE : shown.length;
      rows.forEach(function (row) { row.hidden = true; });
      shown.forEach(function (row, i) {
        body.appendChild(row);
        row.hidden = i < first || i >= last;
      });
      status.textContent = shown.length === rows.length
        ? rows.length + " rows"
        : shown.length + " of " + rows.length + " rows match";
      pager.textContent = "";
      if (pages > 1) {
        [["Previous", state.page - 1], ["Next", state.page + 1]].forEach(function (pair) {
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = pair[0];
          button.disabled = pair[1] < 0 || pair[1] >= pages;
          button.addEventListener("click", function () { state.page = pair[1]; update(); });
          pager.appendChild(button);
        });
        var where = document.createElement("span");
        where.textContent = " page " + (state.page + 1) + " of " + pages + " ";
        pager.insertBefore(where, pager.lastChild);
      }
    }
    update();
  }

  document.querySelectorAll("table.sortable").forEach(enhance);
})();
