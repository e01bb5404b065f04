// kaizen-wa: progressive enhancement of the search page. Without this file
// everything works as plain links and a GET form; with it, results update
// as you type (debounced, never during IME composition), facet, chip, sort
// and page links update in place, and the URL always reflects the state.
(() => {
  'use strict';

  // Search page: 絞り込み is a disclosure on a phone and open beside the
  // results on a wide screen (the style sheet shows it there even without
  // this script; the open state also tells assistive technology).
  const wide = window.matchMedia ? window.matchMedia('(min-width: 761px)') : null;
  const openFacets = () => {
    const facets = document.getElementById('facets');
    if (facets && wide && wide.matches) facets.open = true;
  };
  openFacets();
  if (wide && wide.addEventListener) wide.addEventListener('change', openFacets);

  // Case page: the printout's date is the day it is printed.
  const printDate = document.getElementById('print-date');
  if (printDate) {
    window.addEventListener('beforeprint', () => {
      const d = new Date();
      printDate.textContent = d.getFullYear() + '年' + (d.getMonth() + 1) + '月' + d.getDate() + '日';
    });
  }

  // The case page's "back to search" returns to the previous results
  // when we came from them.
  const back = document.querySelector('a[data-back]');
  if (back && document.referrer) {
    try {
      const from = new URL(document.referrer);
      if (from.origin === location.origin && from.pathname === '/') back.href = from.pathname + from.search;
    } catch (_) { /* not a URL: keep the plain link */ }
  }

  // Case form: after a failed save, the error summary takes the focus
  // (screen readers read it; its links jump to the fields).
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();
  // After 「相手の版を取り込む」: back at the field that was taken.
  const taken = document.querySelector('form[data-focus]');
  const field = taken && document.getElementById(taken.dataset.focus);
  if (field && !summary) {
    field.focus();
    field.scrollIntoView({ block: 'center' });
  }

  // Case form: the municipality suggestions follow the chosen prefecture.
  const pref = document.getElementById('f-prefecture');
  const munis = document.getElementById('municipality-list');
  if (pref && munis) {
    const all = Array.from(munis.options).map((o) => [o.value, o.dataset.pref]);
    const follow = () => {
      const p = pref.value;
      munis.replaceChildren(...all.filter(([, q]) => !p || q === p).map(([v, q]) => {
        const o = document.createElement('option');
        o.value = v;
        o.dataset.pref = q;
        return o;
      }));
    };
    pref.addEventListener('change', follow);
    follow();
  }

  const form = document.getElementById('search-form');
  if (!form || !window.fetch || !window.DOMParser || !window.AbortController) return;
  const input = form.querySelector('input[name="q"]');
  const datalist = document.getElementById('suggestions');
  const status = document.getElementById('live-status');
  const DEBOUNCE_MS = 250;
  // A typing burst has settled when no key follows its last search for
  // this long: that query (and only it) is counted in 検索の傾向.
  const SETTLE_MS = 2000;

  let composing = false;   // between compositionstart and compositionend
  let justComposed = false; // the keydown that confirmed a conversion may follow compositionend
  let timer = 0;
  let inflight = null;
  let unsettled = null; // the URL of the last as-you-type search, not yet counted
  let settleTimer = 0;
  let shown = location.pathname + location.search;
  history.replaceState({ url: shown }, '', shown);

  const urlFor = () => {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      if (String(v).trim() !== '') params.append(k, String(v));
    }
    const qs = params.toString();
    return '/' + (qs ? '?' + qs : '');
  };

  // Tells the server the query a typing burst settled on, once (a HEAD
  // request: the answer is cached, only the count matters; keepalive so
  // that it is sent even when a result's link is leaving the page).
  const settle = () => {
    clearTimeout(settleTimer);
    const url = unsettled;
    unsettled = null;
    if (!url) return;
    fetch(url, { method: 'HEAD', headers: { 'X-Kaizen-Live': 'settled' }, keepalive: true }).catch(() => {});
  };

  // mode: 'push' (a new state), 'replace' (typing), 'pop' (back/forward).
  const run = async (url, mode, live, force) => {
    // A search that is not a keystroke is counted by itself when it is a
    // first page (as the server counts); a later page (次へ) counts the
    // typed query it pages through.
    if (!live) {
      const page = new URL(url, location.origin).searchParams.get('page');
      if (page && page !== '1') settle();
      clearTimeout(settleTimer);
      unsettled = null;
    }
    if (url === shown && !force) return;
    if (inflight) inflight.abort();
    const ctrl = (inflight = new AbortController());
    const region = document.getElementById('search-body');
    region.setAttribute('aria-busy', 'true');
    let text;
    try {
      const res = await fetch(url, { headers: live ? { 'X-Kaizen-Live': '1' } : {}, signal: ctrl.signal });
      text = await res.text();
    } catch (e) {
      if (e.name === 'AbortError') return;
      region.removeAttribute('aria-busy');
      if (!live) location.href = url; // offline or server gone: let the browser say so
      return;
    }
    if (ctrl !== inflight) return;
    inflight = null;
    const doc = new DOMParser().parseFromString(text, 'text/html');
    const fresh = doc.getElementById('search-body');
    if (!fresh) {
      // An error page (bad parameter): show it as a page of its own.
      region.removeAttribute('aria-busy');
      if (!live) location.href = url;
      return;
    }
    region.replaceWith(document.importNode(fresh, true));
    openFacets();
    const hidden = doc.getElementById('search-hidden');
    const ours = document.getElementById('search-hidden');
    if (hidden && ours) ours.replaceWith(document.importNode(hidden, true));
    for (const name of ['section', 'sort']) {
      const theirs = doc.getElementById(name);
      const mine = document.getElementById(name);
      if (theirs && mine) mine.value = theirs.value;
    }
    if (mode === 'pop') {
      const q = doc.getElementById('q');
      if (q) input.value = q.value;
    }
    document.title = doc.title;
    shown = url;
    if (mode === 'push' && url !== location.pathname + location.search) history.pushState({ url }, '', url);
    else if (mode !== 'pop') history.replaceState({ url }, '', url);
    const heading = document.getElementById('results-heading');
    if (status && heading) status.textContent = heading.textContent.replace(/\s+/g, ' ').trim();
    if (live) {
      unsettled = url;
      clearTimeout(settleTimer);
      settleTimer = setTimeout(settle, SETTLE_MS);
    }
    return heading;
  };

  const suggest = async () => {
    const q = input.value.trim();
    if (!datalist || q === '') return;
    try {
      const res = await fetch('/api/suggest?limit=8&q=' + encodeURIComponent(q));
      if (!res.ok) return;
      const data = await res.json();
      if (input.value.trim() !== q) return;
      datalist.replaceChildren(...data.suggestions.map((s) => {
        const o = document.createElement('option');
        o.value = s.text;
        return o;
      }));
    } catch (_) { /* suggestions are optional */ }
  };

  const schedule = () => {
    clearTimeout(timer);
    clearTimeout(settleTimer); // the burst goes on
    timer = setTimeout(() => {
      timer = 0;
      if (composing) return;
      run(urlFor(), 'replace', true, false);
      suggest();
    }, DEBOUNCE_MS);
  };

  input.addEventListener('compositionstart', () => {
    composing = true;
    clearTimeout(timer);
  });
  input.addEventListener('compositionend', () => {
    composing = false;
    justComposed = true;
    setTimeout(() => { justComposed = false; }, 50);
    // Chrome sends no input event after compositionend: search from here.
    schedule();
  });
  input.addEventListener('input', (e) => {
    if (e.isComposing || composing) return;
    schedule();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    // The Enter that confirms a conversion is not a submit.
    if (e.isComposing || composing || e.keyCode === 229 || justComposed) e.preventDefault();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (composing) return;
    clearTimeout(timer);
    // A committed search: fetched again (not live) even if typing showed it.
    run(urlFor(), 'push', false, true);
  });
  form.addEventListener('change', (e) => {
    if (e.target instanceof HTMLSelectElement) run(urlFor(), 'push', false, false);
  });
  // Opening a result (or leaving the page) settles the query it came from.
  document.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('.hit a')) settle();
  });
  window.addEventListener('pagehide', settle);
  document.addEventListener('click', async (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[data-nav]') : null;
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const heading = await run(a.getAttribute('href'), 'push', false, false);
    // The clicked link was replaced: put focus on the new results, and
    // bring their heading into view when the page was scrolled past it
    // (次へ at the bottom of a long page).
    if (heading) {
      heading.focus({ preventScroll: true });
      if (heading.getBoundingClientRect().top < 0) heading.scrollIntoView({ block: 'start' });
    }
  });
  window.addEventListener('popstate', () => {
    // A jump within the page (the 「検索結果へ移動」 link) is no new search.
    if (location.pathname + location.search === shown) return;
    run(location.pathname + location.search, 'pop', false, true).then(() => {
      const q = new URLSearchParams(location.search).get('q');
      input.value = q || '';
    });
  });
})();
