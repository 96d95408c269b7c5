/*
 * EMC tracker — the tag a government portal embeds.
 *
 *   <script defer data-site="CODE" src="https://COLLECTOR/tracker.js"></script>
 *
 * or the legacy EMC snippet (window._govaq / window._paq command queue, script
 * loaded from /embed/gov-tracking.min.js). README.md lists the payloads.
 *
 * Budget: 1.5 KB gzipped once minified (test/size.test.js). So: no classes,
 * few helpers, every local mangled by terser; the long names left are the
 * browser APIs and the JSON keys the collector reads. Some idioms below exist
 * only because they are shorter; each is explained where it is used.
 *
 * Privacy: no cookies, no localStorage/sessionStorage, no fingerprinting; the
 * only device datum sent is screen.width. Every entry point runs inside
 * try/catch, so the tag never throws into the host page.
 */
(function (w, d) {
  try {
    // Loaded twice on one page (snippet and script tag both present): the first
    // instance owns the page, otherwise every pageview would count twice.
    if (w.__emc) return;
    w.__emc = 1;

    var L = location,
      now = Date.now,
      all = (selector) => [...d.querySelectorAll(selector)],
      // Our own <script>: currentScript while it executes, else the last one
      // whose src contains /tracker.js or /gov-tracking.min.js.
      me =
        d.currentScript ||
        all('script[src*="/tracker.js"],script[src*="/gov-tracking.min.js"]').pop() ||
        {},
      data = me.dataset || {}, // data-site, data-hash, data-links, data-label, data-allow-local
      // Pages on localhost, 127.*, [::1] or without a host (file:) are not
      // counted unless data-allow-local is set.
      local = !('allowLocal' in data) && /^(localhost|127\..*|\[::1\])?$/.test(L.hostname),
      // Dublin Core elements of Circular 22/2023, Appendix IV, in its order.
      DC = 'Title Creator Subject Description Publisher Contributor Date Type Format Identifier Source Language Relation Coverage Rights'.split(' '),
      LABEL = '#btnEMC,[data-emc-label]',
      site = data.site, // site code, a string
      trackerUrl, // setTrackerUrl: events go there only if our own src is unknown
      customUrl, // setCustomUrl / setDocumentTitle (cleared on SPA navigation)
      customTitle,
      last, // URL key of the last pageview; undefined before the first
      page, // {url, title} of the current pageview, for its engagement
      sent, // the current pageview's engagement is sent
      visibleSince, // when the page became visible (false while hidden)
      timingSent, // page-load timings are sent (once per page load)
      lcp, // startTime of the last largest-contentful-paint entry
      linksOn,
      queue = w._govaq || w._paq;

    // f, with whatever it throws swallowed.
    var guard = (f) => (...a) => {
      try {
        return f(...a);
      } catch (e) {}
    };
    // Capture-phase listener on window. It also sees the events fired at the
    // document (click, auxclick, visibilitychange and DOMContentLoaded bubble).
    var on = (type, f) => w.addEventListener(type, guard(f), true);
    // Without data-hash, URLs that differ only by #fragment are one page.
    var key = (u) => ('hash' in data ? u : u.split('#')[0]);

    // ---- transport -------------------------------------------------------
    // POST <origin of our src>/api/event. sendBeacon with a string body is sent
    // as text/plain;charset=UTF-8, a CORS "simple" request: no preflight.
    // fetch(keepalive) is the fallback when sendBeacon refuses (queue full);
    // its default credentials mode sends no cookies to another origin.
    var send = (name, x, y, body, endpoint) => {
      if (site && !local) {
        body = JSON.stringify(
          Object.assign(
            {
              site: site,
              name: name,
              url: customUrl || L.href,
              referrer: '',
              title: customTitle || d.title,
              screen_width: screen.width,
            },
            x,
            y
          ),
          // every number leaves as an integer (timings are fractional ms)
          (k, v) => (v === +v ? Math.round(v) : v)
        );
        endpoint = new URL('/api/event', me.src || trackerUrl);
        navigator.sendBeacon(endpoint, body) ||
          fetch(endpoint, { method: 'POST', body: body, keepalive: true }).catch(() => {});
      }
    };

    // Custom event. Props become strings; null, undefined and "" are dropped.
    var event = (name, props, p, k, v) => {
      p = {};
      for (k in props) if ((v = props[k]) != null && (v += '')) p[k] = v;
      send('' + name, { props: p });
    };

    // ---- page metadata: EMC label + Dublin Core ---------------------------
    var meta = () => ({
      // a label that has a layout box (neither it nor an ancestor is
      // display:none) and is not visibility:hidden
      emc_label: all(LABEL).some(
        (e) => e.getClientRects().length && getComputedStyle(e).visibility != 'hidden'
      ),
      // <meta name="DC.Title" content="…">, any case; DC.Date.Issued counts
      // for Date; empty content does not count
      dc: DC.filter((k) => all('meta[name^="dc.' + k + '" i]').some((m) => m.content.trim())),
    });

    // ---- page-load timings, integer ms from navigation start ---------------
    // ttfb: navigation responseStart; fcp: first-contentful-paint; lcp: last
    // largest-contentful-paint; load: loadEventEnd; response: the slowest
    // same-origin request of the page load (the document's own included;
    // requests started after loadEventEnd are not), responseEnd -
    // requestStart. Values not (yet) known are omitted.
    var timing = (P, n, fcp, slowest, x) => {
      P = performance;
      n = P.getEntriesByType('navigation')[0] || {};
      // getEntries(): the navigation entry, resources and paint entries;
      // only navigation/resource entries have requestStart.
      P.getEntries().map((e) =>
        e.name == 'first-contentful-paint'
          ? (fcp = e.startTime)
          : e.requestStart &&
            e.name.startsWith(L.origin + '/') &&
            e.startTime <= n.loadEventEnd &&
            // (slowest starts undefined: `undefined > x` is false)
            (slowest > (x = e.responseEnd - e.requestStart) || (slowest = x))
      );
      // undefined values are left out of the JSON; send() rounds numbers
      return {
        ttfb: n.responseStart || undefined,
        fcp: fcp,
        lcp: lcp,
        load: n.loadEventEnd || undefined,
        response: slowest,
      };
    };

    // ---- engagement: once per pageview, when the page is hidden ------------
    // (visibilitychange to hidden, or pagehide). The page-load timings ride on
    // the first engagement of the page load only, so SPA pageviews after it
    // do not repeat them.
    var engage = (t) => {
      if (last && !sent) {
        sent = 1;
        if (!timingSent) {
          timingSent = 1;
          t = timing();
        }
        send('engagement', page, {
          engaged_ms: visibleSince ? now() - visibleSince : 0,
          timing: t,
          meta: meta(),
        });
      }
    };

    // ---- pageview ----------------------------------------------------------
    // Skipped when the URL did not change; document.referrer rides on the
    // first pageview only.
    var pageview = (title, u) => {
      u = customUrl || L.href;
      if (key(u) != last) {
        // "Đã kết nối EMC", rendered before the first pageview reads the
        // label. The legacy EMC script rendered this label, so the legacy form
        // (site id from the queue) renders it too, with the id and class
        // portals' CSS and scripts already target; data-label="inject" asks
        // for it in the data-site form. Never next to an existing label.
        last ||
          ((data.label == 'inject' || !data.site) &&
            !all(LABEL)[0] &&
            d.body.insertAdjacentHTML(
              'beforeend',
              '<div id=yhy-append class=yhy-append-wrap data-emc-label style=position:fixed;bottom:0;z-index:9999;background:#fff>Đã kết nối EMC</div>'
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

    // SPA navigation, looked at after the router had a tick to set the title.
    var navigate = () =>
      setTimeout(
        guard(() => {
          customUrl = customTitle = 0;
          if (last) pageview();
        })
      );

    // ---- outbound links and downloads (one delegated listener) -------------
    var links = () =>
      linksOn ||
      ((linksOn = 1),
      ['click', 'auxclick'].map((type) =>
        on(type, (e, a, dl) => {
          a = e.target.closest('a[href]');
          // primary button for click, middle button for auxclick; http(s) only
          if (e.button == (type == 'auxclick') && /^http/.test(a.protocol))
            (dl =
              a.hasAttribute('download') ||
              /\.(pdf|docx?|xlsx?|pptx?|od[ts]|rtf|zip|rar|7z|csv|txt|xml|mp[34])$/i.test(a.pathname)) ||
            a.host != L.host
              ? send(dl ? 'download' : 'outbound', { props: { url: a.href } })
              : 0;
        })
      ));

    // ---- legacy command queue (Matomo style) -------------------------------
    var commands = {
      // data-site on the script tag wins over the queue's site id
      setSiteId: (id) => (site = data.site || '' + id),
      setTrackerUrl: (u) => (trackerUrl = u),
      enableLinkTracking: links,
      setCustomUrl: (u) => (customUrl = new URL(u, L).href),
      setDocumentTitle: (t) => (customTitle = t),
      trackPageView: pageview,
      trackEvent: (category, action, name, value) =>
        event(action || 'event', { category: category, action: action, name: name, value: value }),
      // trackDVC(serviceCode, flag, "dossierId;ddMMyyyy;applicantName;applicantIdNo"):
      // only the dossier id and the date leave the browser, never the
      // applicant's name or ID number. (''+[x] is "" for undefined/null.)
      trackDVC: (service, flag, x) => {
        x = ('' + [x]).split(';');
        event('dvc', { service: service, flag: flag, dossier: x[0], date: x[1] });
      },
    };
    var run = guard((c) => commands[c[0]](...c.slice(1)));
    var isTrack = (c) => /^track/.test(c[0]);

    // ---- start, once the DOM is parsed ------------------------------------
    // (DC meta tags and the label must exist when the first pageview reads
    // them; the legacy snippet loads us async from <head>.)
    var start = (q, push) => {
      q = queue && queue.map ? queue : []; // not Matomo's own _paq object
      push = q.push;

      // Configuration first, tracking after, as Matomo's tracker does (the
      // deployed snippet pushes trackPageView before setSiteId): a stable
      // sort on "is a track* command". data-links and data-site join the
      // queue as enableLinkTracking and trackPageView; when absent they are
      // [false] / [undefined], which run() ignores.
      [...q, ['links' in data && 'enableLinkTracking'], [data.site && 'trackPageView']]
        .sort((a, b) => isTrack(a) - isTrack(b))
        .map(run);

      // Commands pushed from now on run at once, and still land in the array
      // (a real Matomo tracker may read the same _paq later).
      q.push = (...c) => (c.map(run), push.apply(q, c));

      // window.emc('event', name, props)
      w.emc = guard((cmd, name, props) => event(name, props));

      ['pushState', 'replaceState'].map((k, f) => {
        f = history[k];
        history[k] = (...a) => (navigate(), f.apply(history, a));
      });
      on('popstate', navigate);
      if ('hash' in data) on('hashchange', navigate);
      on('visibilitychange', () => (d.hidden ? engage() : (visibleSince = visibleSince || now())));
      on('pagehide', () => engage());

      new PerformanceObserver((l) => (lcp = l.getEntries().pop().startTime)).observe({
        type: 'largest-contentful-paint',
        buffered: true,
      });
    };

    if (d.readyState == 'loading') on('DOMContentLoaded', start);
    else guard(start)();
  } catch (e) {}
})(window, document);
