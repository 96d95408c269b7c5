/*
 * EMC tracker: the tag a government portal embeds.
 *
 *   <script defer data-site="CODE" src="https://COLLECTOR/tracker.js"></script>
 *
 * or the legacy EMC snippet (window._govaq / window._paq command queue, script
 * loaded from /embed/gov-tracking.min.js). README.md lists what it sends.
 *
 * Budget: 1536 bytes gzipped once minified (test/size.test.js). The code is
 * written for that: no classes, few helpers, everything in one `var` list,
 * locals declared as unused parameters, && / || chains for ifs; terser
 * mangles every local, and the long names left are browser APIs and the JSON
 * keys the collector reads. README.md ("Size budget") lists what was left out
 * to fit, with its cost. Measure any change (npm run build prints the size):
 * gzip does not always reward the shorter source. Even the order matters: the
 * definitions below (and the statements of start) are in the order that
 * gzips smallest, measured over all orders; any other works too, as long as
 * guard is defined before the `x = guard(...)` ones (the rest are looked up
 * when called).
 *
 * Privacy: no cookies, no localStorage/sessionStorage, no fingerprinting; the
 * only device datum sent is screen.width. Every entry point runs inside
 * guard() (try/catch), so the tag never throws into the host page; the
 * top-level code below only declares functions and reads properties that
 * always exist, and cannot throw.
 */
(function (w, d) {
  var all = (selector) => [...d.querySelectorAll(selector)],
    // Our own <script>. document.currentScript is set while any classic
    // script runs (async, defer, inserted by the legacy snippet); only
    // without it (shadow DOM, eval-based loaders) the data-* attributes are
    // unknown and setTrackerUrl gives the endpoint.
    me = d.currentScript || {},
    data = me.dataset || {}, // data-site, data-hash, data-label, data-links, data-allow-local
    site = data.site, // site code, a string
    links = 'links' in data, // outbound / download tracking (data-links, enableLinkTracking)
    trackerUrl, // setTrackerUrl: used only when our own src is unknown
    customUrl, // setCustomUrl / setDocumentTitle, until the next SPA navigation
    customTitle,
    last, // URL key of the last pageview; undefined before the first
    page, // {url, title, meta} of the current pageview until its engagement is sent, then 0
    visibleSince, // when the current pageview was first visible (0: not yet)
    timingSent, // the page-load timings are sent (once per page load)
    lcp, // startTime of the last largest-contentful-paint entry
    // f, with whatever it throws swallowed.
    guard = (f) => (...a) => {
      try {
        f(...a);
      } catch (e) {}
    },
    // Listener on window (the global addEventListener), capturing: it also
    // hears the events fired at the document (visibilitychange,
    // DOMContentLoaded), and clicks before a page handler can stop them.
    on = (type, f) => addEventListener(type, guard(f), 1),
    // ---- transport ---------------------------------------------------------
    // POST <origin of our src>/api/event with sendBeacon. A string body goes
    // out as text/plain;charset=UTF-8, a CORS "simple" request: no preflight.
    // Pages on localhost, 127.*, [IPv6] or without a host (file:) are not
    // counted unless data-allow-local is set.
    send = (name, x, y) =>
      site &&
      ('allowLocal' in data || !/^(localhost|127\.|\[|$)/.test(location.host)) &&
      navigator.sendBeacon(
        new URL('/api/event', me.src || trackerUrl),
        JSON.stringify(
          { site: site, name: name, url: customUrl || location.href, screen_width: screen.width, ...x, ...y },
          // every number leaves as an integer (timings are fractional ms)
          (k, v) => (v === +v ? Math.round(v) : v)
        )
      ),
    // Custom event; props values become strings, null/undefined are dropped.
    event = (name, props, p, k) => {
      p = {};
      for (k in props) props[k] != null && (p[k] = '' + props[k]);
      send(name, { props: p });
    },
    // ---- engagement: once per pageview, when the page is hidden or left ----
    // The page-load timings, ms from navigation start, ride on the first
    // engagement of the page load only (later SPA pageviews do not repeat
    // them). ttfb: navigation responseStart; fcp: first-contentful-paint;
    // lcp: last largest-contentful-paint; load: loadEventEnd; response: the
    // slowest same-origin request of the page load, responseEnd -
    // requestStart (the document's own request included, requests started
    // after loadEventEnd not). Values not known (yet) are undefined, so left
    // out of the JSON.
    // (Called as a listener, with the event as `ev`; the other parameters
    // are locals: n the navigation entry, {} when there is none.)
    engage = (ev, n = {}, fcp, slowest, x) =>
      page &&
      send(
        'engagement',
        page,
        {
          engaged_ms: visibleSince && Date.now() - visibleSince,
          timing: timingSent
            ? undefined
            : (performance.getEntries().map((e) =>
                // getEntries() is sorted by startTime: the navigation entry
                // (startTime 0, the only entry with a `type`) comes before
                // the resources; only navigation and resource entries have
                // a requestStart.
                e.name == 'first-contentful-paint'
                  ? (fcp = e.startTime)
                  : (e.type && (n = e),
                    e.requestStart &&
                      !e.name.indexOf(location.origin + '/') &&
                      e.startTime <= n.loadEventEnd &&
                      // (slowest starts undefined, and `undefined > x` is false)
                      (slowest > (x = e.responseEnd - e.requestStart) || (slowest = x)))
              ),
              (timingSent = {
                ttfb: n.responseStart,
                fcp: fcp,
                lcp: lcp,
                load: n.loadEventEnd || undefined,
                response: slowest,
              })),
        },
        // (evaluated after `page` was read for the second argument: the
        // engagement of this pageview is sent at most once)
        (page = 0)
      ),
    // SPA navigation, looked at once the router had a tick to set the title.
    navigate = () =>
      setTimeout(() => {
        customUrl = customTitle = 0;
        last && pageview();
      }),
    // ---- legacy command queue (Matomo style) -------------------------------
    // Unknown commands throw in run() and are ignored.
    run = guard(([c, ...args]) =>
      ({
        // data-site on the script tag wins over the queue's site id
        setSiteId: (id) => (site = data.site || '' + id),
        setTrackerUrl: (u) => (trackerUrl = u),
        enableLinkTracking: () => (links = 1),
        setCustomUrl: (u) => (customUrl = u),
        setDocumentTitle: (t) => (customTitle = t),
        trackPageView: pageview,
        // Matomo's trackSiteSearch(keyword, category, resultCount): a site_search event whose
        // props are those of trackEvent (name = keyword, value = result count), which gzip
        // already knows; the collector stores it as a site search, not a page view.
        trackSiteSearch: (keyword, category, count) =>
          event('site_search', { category: category, name: keyword, value: count }),
        trackEvent: (category, action, name, value) =>
          event(action || 'event', { category: category, action: action, name: name, value: value }),
        // trackDVC(serviceCode, flag, "dossierId;ddMMyyyy;applicantName;applicantIdNo"):
        // only the dossier id and the date leave the browser, never the
        // applicant's name or ID number. (''+[x] is "" for undefined/null.)
        trackDVC: (service, flag, x) =>
          event('dvc', { service: service, flag: flag, dossier: (x = ('' + [x]).split(';'))[0], date: x[1] }),
      })[c](...args)
    ),
    // ---- outbound links and downloads (data-links / enableLinkTracking) -----
    // A click on (something inside) a link: a file extension or a download
    // attribute is a download, else a link to another host is outbound
    // (javascript:, mailto:, tel: links have no host). Download wins.
    click = (e, a, x) =>
      links &&
      (a = e.target.closest('a[href]')) &&
      ((x = a.hasAttribute('download') || /\.(docx?|xlsx?|pptx?|pdf|od[st]|zip|rar|7z|csv|txt|xml|mp[34])$/i.test(a.pathname)) ||
        (a.host && a.host != location.host)) &&
      event(x ? 'download' : 'outbound', { url: a.href }),
    // ---- pageview ----------------------------------------------------------
    // Skipped when the URL did not change (without data-hash, URLs that
    // differ only by #fragment are one page); document.referrer rides on the
    // first pageview only.
    pageview = guard((title, u, k) => {
      (u = customUrl || location.href),
        (k = 'hash' in data ? u : u.split('#')[0]) != last &&
          // The "Đã kết nối EMC" label, rendered before the first pageview
          // reads it: asked for by data-label="inject", and in the legacy
          // form (no data-site), whose old EMC script rendered it. Never
          // next to an existing label. At the end of the body, in the page's
          // flow.
          ((last || (data.label != 'inject' && data.site) || all('#btnEMC,[data-emc-label]')[0] || d.body.insertAdjacentHTML('beforeend', '<b data-emc-label>Đã kết nối EMC</b>')),
          send(
            'pageview',
            (page = {
              url: u,
              title: title || customTitle || d.title,
              // Read once per pageview, after DOMContentLoaded; the
              // engagement repeats it.
              meta: {
                // a label with a layout box (neither it nor an ancestor is
                // display:none)
                emc_label: all('#btnEMC,[data-emc-label]').some((e) => e.getClientRects().length),
                // <meta name="DC.x" content="non-empty">, any case: the x of
                // each, as written ("DC.Date.Issued" gives "Date",
                // "dc.title" gives "title"). The collector maps these
                // case-insensitively onto the 15 elements of Circular
                // 22/2023 Appendix IV and ignores anything else.
                dc: all('meta[name^="dc." i]')
                  .filter((m) => m.content.trim())
                  .map((m) => m.name.split('.')[1]),
              },
            }),
            { referrer: last ? '' : d.referrer }
          ),
          (last = k),
          (visibleSince = d.hidden ? 0 : Date.now()));
    }),
    // ---- start, once the DOM is parsed ------------------------------------
    // (the label and the DC meta tags must exist when the first pageview
    // reads them; the legacy snippet loads us async from <head>)
    start = guard((q) => {
      // (not Matomo's own _paq object, which is no array)
      ((q = w._govaq || w._paq) && q.map) || (q = []);

      // Configuration first, tracking after, as Matomo's tracker does (the
      // deployed snippet pushes trackPageView before setSiteId): a stable
      // sort of the queue that puts the track* commands last. data-site adds
      // a pageview.
      q.sort((a, b) => ('t' < a[0]) - ('t' < b[0])).map(run);
      data.site && pageview();

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
      // Engagement: visibilitychange to hidden (below) also fires when the
      // page is left in current browsers; pagehide covers Safari < 14.1.
      on('pagehide', engage);
      on('popstate', navigate);
      on('click', click);
      new PerformanceObserver((l) => (lcp = l.getEntries().pop().startTime)).observe({
        type: 'largest-contentful-paint',
        buffered: true,
      });
      on('visibilitychange', () => (d.hidden ? engage() : (visibleSince = visibleSince || Date.now())));
    });

  // Loaded twice on one page (old snippet and new tag both left in place):
  // the first copy owns the page, else every pageview would count twice.
  w.__emc || ((w.__emc = 1), 'l' < d.readyState /* only "loading" sorts after "l" */ ? on('DOMContentLoaded', start) : start());
})(window, document);
