/*
 * EMC tracker: the tag a government portal embeds.
 *
 *   <script defer data-site="CODE" src="https://COLLECTOR/tracker.js"></script>
 *
 * or the legacy EMC snippet (window._govaq / window._paq command queue, script
 * loaded from /embed/gov-tracking.min.js). README.md lists what it sends.
 *
 * Budget: 1536 bytes gzipped once minified (test/size.test.js). The code is
 * written for that: no classes, few helpers, locals declared as unused
 * parameters, && / || chains for ifs; terser mangles every local, and the
 * long names left are browser APIs and the JSON keys the collector reads.
 * README.md ("Size budget") lists what was left out to fit, with its cost.
 *
 * Privacy: no cookies, no localStorage/sessionStorage, no fingerprinting; the
 * only device datum sent is screen.width. Every entry point runs inside
 * try/catch, so the tag never throws into the host page.
 */
(function (w, d) {
  try {
    // Loaded twice on one page (old snippet and new tag both left in place):
    // the first copy owns the page, else every pageview would count twice.
    if (w.__emc) return;
    w.__emc = 1;

    var L = location,
      now = Date.now,
      all = (selector) => [...d.querySelectorAll(selector)],
      // Our own <script>: currentScript while it executes, else the last one
      // whose src contains /tracker.js or /gov-tracking.min.js.
      me = d.currentScript || all('[src*="/tracker.js"],[src*="/gov-tracking.min.js"]').pop() || {},
      data = me.dataset || {}, // data-site, data-hash, data-label, data-allow-local
      // Pages on localhost, 127.*, [::1] (any [IPv6]) or without a host
      // (file:) are not counted unless data-allow-local is set.
      local = !('allowLocal' in data) && /^(localhost|127\.|\[|$)/.test(L.hostname),
      LABEL = '#btnEMC,[data-emc-label]',
      site = data.site, // site code, a string
      trackerUrl, // setTrackerUrl: used only when our own src is unknown
      customUrl, // setCustomUrl / setDocumentTitle, until the next SPA navigation
      customTitle,
      last, // URL key of the last pageview; undefined before the first
      page, // {url, title} of the current pageview, for its engagement
      sent, // the current pageview's engagement is sent
      visibleSince, // when the page last became visible (false while hidden)
      timingSent, // the page-load timings are sent (once per page load)
      lcp, // startTime of the last largest-contentful-paint entry
      queue = w._govaq || w._paq;

    // f, with whatever it throws swallowed.
    var guard = (f) => (...a) => {
      try {
        return f(...a);
      } catch (e) {}
    };
    // Listener on window; it also hears the events fired at the document that
    // bubble (visibilitychange, DOMContentLoaded).
    var on = (type, f) => w.addEventListener(type, guard(f));
    // Without data-hash, URLs that differ only by #fragment are one page.
    var key = (u) => ('hash' in data ? u : u.split('#')[0]);

    // ---- transport -------------------------------------------------------
    // POST <origin of our src>/api/event with sendBeacon. A string body goes
    // out as text/plain;charset=UTF-8, a CORS "simple" request: no preflight.
    var send = (name, x, y) => {
      site &&
        !local &&
        navigator.sendBeacon(
          new URL('/api/event', me.src || trackerUrl),
          JSON.stringify(
            Object.assign({ site: site, name: name, url: customUrl || L.href, screen_width: screen.width }, x, y),
            // every number leaves as an integer (timings are fractional ms)
            (k, v) => (v === +v ? Math.round(v) : v)
          )
        );
    };

    // Custom event; props values become strings, null/undefined are dropped.
    var event = (name, props, p, k) => {
      p = {};
      for (k in props) props[k] != null && (p[k] = '' + props[k]);
      send(name, { props: p });
    };

    // ---- page metadata: EMC label + Dublin Core ---------------------------
    var meta = () => ({
      // A label with a layout box (neither it nor an ancestor is
      // display:none) that is not visibility:hidden.
      emc_label: all(LABEL).some((e) => e.getClientRects().length && getComputedStyle(e).visibility != 'hidden'),
      // <meta name="DC.x" content="non-empty">, any case: the x of each, as
      // written ("DC.Date.Issued" gives "Date", "dc.title" gives "title").
      // The collector maps these case-insensitively onto the 15 elements of
      // Circular 22/2023 Appendix IV and ignores anything else.
      dc: all('meta[name^="dc." i]')
        .filter((m) => m.content.trim())
        .map((m) => m.name.split('.')[1]),
    });

    // ---- page-load timings, ms from navigation start -----------------------
    // ttfb: navigation responseStart; fcp: first-contentful-paint; lcp: last
    // largest-contentful-paint; load: loadEventEnd; response: the slowest
    // same-origin request of the page load, responseEnd - requestStart (the
    // document's own request included, requests started after loadEventEnd
    // not). Values not known (yet) are undefined, so left out of the JSON.
    var timing = (P, n, fcp, slowest, x) => {
      P = performance;
      n = P.getEntriesByType('navigation')[0] || {};
      // getEntries(): the navigation entry, resources, paint entries…; only
      // navigation and resource entries have a requestStart.
      P.getEntries().map((e) =>
        e.name == 'first-contentful-paint'
          ? (fcp = e.startTime)
          : e.requestStart &&
            !e.name.indexOf(L.origin + '/') &&
            e.startTime <= n.loadEventEnd &&
            // (slowest starts undefined, and `undefined > x` is false)
            (slowest > (x = e.responseEnd - e.requestStart) || (slowest = x))
      );
      return {
        ttfb: n.responseStart,
        fcp: fcp,
        lcp: lcp,
        load: n.loadEventEnd || undefined,
        response: slowest,
      };
    };

    // ---- engagement: once per pageview, when the page is hidden ------------
    // The page-load timings ride on the first engagement of the page load
    // only, so later SPA pageviews do not repeat them.
    var engage = () =>
      last &&
      !sent &&
      send('engagement', page, {
        engaged_ms: (sent = 1) && visibleSince ? now() - visibleSince : 0,
        timing: timingSent ? undefined : (timingSent = timing()),
        meta: meta(),
      });

    // ---- pageview ----------------------------------------------------------
    // Skipped when the URL did not change; document.referrer rides on the
    // first pageview only.
    var pageview = (title, u) => {
      u = customUrl || L.href;
      if (key(u) != last) {
        // The "Đã kết nối EMC" label, rendered before the first pageview reads
        // it: asked for by data-label="inject", and in the legacy form (site
        // id from the queue), whose old EMC script rendered it. Never next to
        // an existing label.
        last ||
          ((data.label == 'inject' || !data.site) &&
            !all(LABEL)[0] &&
            d.body.insertAdjacentHTML(
              'beforeend',
              '<b data-emc-label style=position:fixed;bottom:0;z-index:9;background:#fff>Đã kết nối EMC</b>'
            ));
        send(
          'pageview',
          (page = { url: u, title: title || customTitle || d.title }),
          { referrer: last ? '' : d.referrer, meta: meta() }
        );
        last = key(u);
        sent = 0;
        visibleSince = !d.hidden && now();
      }
    };

    // SPA navigation, looked at once the router had a tick to set the title.
    var navigate = () =>
      setTimeout(
        guard(() => {
          customUrl = customTitle = 0;
          last && pageview();
        })
      );

    // ---- legacy command queue (Matomo style) -------------------------------
    // Unknown commands (enableLinkTracking among them) throw in run() and
    // are ignored.
    var commands = {
      // data-site on the script tag wins over the queue's site id
      setSiteId: (id) => (site = data.site || '' + id),
      setTrackerUrl: (u) => (trackerUrl = u),
      setCustomUrl: (u) => (customUrl = u),
      setDocumentTitle: (t) => (customTitle = t),
      trackPageView: pageview,
      trackEvent: (category, action, name, value) =>
        event(action || 'event', { category: category, action: action, name: name, value: value }),
      // trackDVC(serviceCode, flag, "dossierId;ddMMyyyy;applicantName;applicantIdNo"):
      // only the dossier id and the date leave the browser, never the
      // applicant's name or ID number. (''+[x] is "" for undefined/null.)
      trackDVC: (service, flag, x) =>
        event('dvc', { service: service, flag: flag, dossier: (x = ('' + [x]).split(';'))[0], date: x[1] }),
    };
    var run = guard(([c, ...args]) => commands[c](...args));

    // ---- start, once the DOM is parsed ------------------------------------
    // (the label and the DC meta tags must exist when the first pageview
    // reads them; the legacy snippet loads us async from <head>)
    var start = (q) => {
      q = queue && queue.map ? queue : []; // (not Matomo's own _paq object)

      // Configuration first, tracking after, as Matomo's tracker does (the
      // deployed snippet pushes trackPageView before setSiteId): a stable
      // sort that puts the track* commands last. data-site adds a
      // trackPageView; without it the entry is [undefined], which run()
      // ignores.
      [...q, [data.site && 'trackPageView']].sort((a, b) => (a[0] > 't') - (b[0] > 't')).map(run);

      // Commands pushed from now on run at once.
      q.push = (...c) => c.map(run);

      // window.emc('event', name, props)
      w.emc = guard((cmd, name, props) => event(name, props));

      // SPA navigation: history.pushState / replaceState, and popstate (also
      // fired when only the #fragment changes, which counts with data-hash).
      ['pushState', 'replaceState'].map((k, f) => {
        f = history[k];
        history[k] = (...a) => (navigate(), f.apply(history, a));
      });
      on('popstate', navigate);
      on('visibilitychange', () => (d.hidden ? engage() : (visibleSince = visibleSince || now())));

      new PerformanceObserver((l) => (lcp = l.getEntries().pop().startTime)).observe({
        type: 'largest-contentful-paint',
        buffered: true,
      });
    };

    d.readyState == 'loading' ? on('DOMContentLoaded', start) : guard(start)();
  } catch (e) {}
})(window, document);
