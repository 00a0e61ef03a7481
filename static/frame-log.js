// The frame log's filters (and the findings panel's) live in the page's URL: a reload,
// a bookmark or a link shows the same frames and findings. A live refresh keeps the
// lines the engineer opened.
(() => {
  const form = () => document.getElementById("frame-filter");
  const FILTER_FORMS = ["frame-filter", "findings-filter"];

  function keepFiltersInUrl() {
    const url = new URL(location.href);
    for (const id of FILTER_FORMS) {
      const filters = document.getElementById(id);
      if (!filters) continue;
      for (const field of filters.elements) {
        if (!field.name) continue;
        if (field.value) url.searchParams.set(field.name, field.value);
        else url.searchParams.delete(field.name);
      }
    }
    url.searchParams.delete("before");
    url.searchParams.delete("mark");
    if (url.href !== location.href) history.replaceState(history.state, "", url);
  }

  function clearFilters() {
    const filters = form();
    if (!filters) return;
    for (const field of filters.elements) if (field.name) field.value = "";
  }

  let open = [];
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "frames") {
      open = [...document.querySelectorAll("#frames details[open]")].map((d) => d.closest("tr").dataset.seq);
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    for (const seq of open) {
      const details = document.querySelector(`#frames tr[data-seq="${seq}"] details`);
      if (details) details.open = true;
    }
    open = [];
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    // An evidence link shows its frame in the whole log, whatever was filtered.
    if (event.detail.elt.matches("[data-frame-link]")) clearFilters();
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (event.detail.successful && (FILTER_FORMS.includes(elt.id) || elt.matches("[data-frame-link]"))) keepFiltersInUrl();
  });
  // Opening an item pushes ?item=N: the filters stay.
  document.addEventListener("htmx:pushedIntoHistory", keepFiltersInUrl);
  document.addEventListener("click", (event) => {
    if (!event.target.matches("[data-clear-filters]")) return;
    clearFilters();
    htmx.trigger(form(), "submit");
  });
})();
