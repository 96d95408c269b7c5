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
 * browser APIs and the JSON keys the collector reads.
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
      // whose src ends with /tracker.js or /gov-tracking.min.js.
      me =
        d.currentScript ||
        all('script[src]')
          .reverse()
          .find((s) => /\/(tracker|gov-tracking\.min)\.js(\?|$)/.test(s.src)) ||
        {},
      data = me.dataset || {}, // data-site, data-hash, data-links, data-label, data-allow-local
      // Pages on localhost, 127.*, [::1] or without a host (file:) are not
      // counted unless data-allow-local is set.
      local = !('allowLocal' in data) && /^(localhost|127\..*|\[::1\])?$/.test(L.hostname),
      // Dublin Core elements of Circular 22/2023, Appendix IV, in its order.
      DC = 'Title Creator Subject Description Publisher Contributor Date Type Format Identifier Source Language Relation Coverage Rights'.split(' '),
      // file extensions that make a link click a download
      DOWNLOAD = /\.(pdf|docx?|xlsx?|pptx?|od[tsp]|rtf|zip|rar|7z|gz|csv|txt|xml|json|mp[34]|avi|mov|exe|apk)$/i,
      LABEL = '#btnEMC,[data-emc-label]',
      site = data.site, // site code, a string
      trackerUrl, // setTrackerUrl: events go there only if our own src is unknown
      customUrl, // setCustomUrl / setDocumentTitle (cleared on SPA navigation)
      customTitle,
      last, // URL key of the last pageview; undefined before the first
      pvUrl, // URL and title of the current pageview, for its engagement
      pvTitle,
      sent, // the current pageview's engagement is sent
      visibleSince, // when the page became visible (false while hidden)
      timingSent, // page-load timings are sent (once per page load)
      lcp, // startTime of the last largest-contentful-paint entry
      linksOn,
      queue = w._govaq || w._paq;

    // f, with whatever it throws swallowed.
    var guard = (f) =>
      function () {
        try {
          return f.apply(this, arguments);
        } catch (e) {}
      };
    var on = (type, f, target) => (target || w).addEventListener(type, guard(f), true);
    // Without data-hash, URLs that differ only by #fragment are one page.
    var key = (u) => ('hash' in data ? u : u.split('#')[0]);

    // ---- transport -------------------------------------------------------
    // POST <origin of our src>/api/event. sendBeacon with a string body is sent
    // as text/plain;charset=UTF-8, a CORS "simple" request: no preflight, and
    // no cookies are ever set by the collector. fetch(keepalive) is the
    // fallback when sendBeacon is missing or refuses (its credentials default
    // to same-origin: none to the collector's origin).
    var send = (name, extra) => {
      if (site && !local) {
        var body = JSON.stringify(
            Object.assign(
              {
                site: site,
                name: name,
                url: customUrl || L.href,
                referrer: '',
                title: customTitle || d.title,
                screen_width: screen.width,
              },
              extra
            )
          ),
          endpoint = new URL('/api/event', me.src || trackerUrl);
        (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) ||
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
    // same-origin request of the page load (the document included, resources
    // started after loadEventEnd excluded), responseEnd - requestStart.
    // Missing values are omitted; undefined when none is known.
    var timing = (P, nav, t, k, slowest) => {
      P = performance;
      nav = P.getEntriesByType('navigation')[0] || {};
      t = {};
      slowest = 0;
      P.getEntriesByType('navigation')
        .concat(P.getEntriesByType('resource'))
        .map(
          (e) =>
            e.name.startsWith(L.origin + '/') &&
            e.requestStart &&
            e.startTime <= nav.loadEventEnd &&
            (slowest = Math.max(slowest, e.responseEnd - e.requestStart))
        );
      [
        ['ttfb', nav.responseStart],
        ['fcp', (P.getEntriesByName('first-contentful-paint')[0] || {}).startTime],
        ['lcp', lcp],
        ['load', nav.loadEventEnd],
        ['response', slowest],
      ].map((a) => a[1] > 0 && (t[a[0]] = Math.round(a[1])));
      for (k in t) return t;
    };

    // ---- engagement: once per pageview ------------------------------------
    // Sent when the page is hidden or left (hide = 1), or, on SPA navigation,
    // for the previous pageview. The page-load timings ride on one engagement
    // per page load: the first one sent after the load, or on hide.
    var engage = (hide, t) => {
      if (last && !sent) {
        sent = 1;
        if (!timingSent && (hide || d.readyState == 'complete')) {
          timingSent = 1;
          t = timing();
        }
        send('engagement', {
          url: pvUrl,
          title: pvTitle,
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
        engage();
        send('pageview', {
          url: u,
          title: (pvTitle = title || customTitle || d.title),
          referrer: last ? '' : d.referrer,
          meta: meta(),
        });
        last = key(u);
        pvUrl = u;
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
    var links = () => {
      if (!linksOn) {
        linksOn = 1;
        ['click', 'auxclick'].map((type) =>
          on(
            type,
            (e, a, href, u, dl) => {
              a = e.target.closest('a[href]');
              href = a && a.href;
              // primary button for click, middle button for auxclick
              if (e.button == (type == 'auxclick') && /^https?:/.test(href)) {
                u = new URL(href);
                dl = a.hasAttribute('download') || DOWNLOAD.test(u.pathname);
                if (dl || u.host != L.host) send(dl ? 'download' : 'outbound', { props: { url: href } });
              }
            },
            d
          )
        );
      }
    };

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
      // applicant's name or ID number.
      trackDVC: (service, flag, data) => {
        data = ('' + [data]).split(';');
        event('dvc', { service: service, flag: flag, dossier: data[0], date: data[1] });
      },
    };
    var run = guard((c) => commands[c[0]].apply(0, c.slice(1)));
    var isTrack = (c) => /^track/.test(c[0]);

    // ---- start, once the DOM is parsed ------------------------------------
    // (DC meta tags and the label must exist when the first pageview reads
    // them; the legacy snippet loads us async from <head>.)
    var start = () => {
      var q = Array.isArray(queue) ? queue : [],
        push = q.push,
        stub = w.emc && w.emc.q;

      // Configuration first, tracking after, as Matomo's tracker does: the
      // deployed snippet pushes trackPageView before setSiteId.
      q.map((c) => isTrack(c) || run(c));

      // "Đã kết nối EMC". The legacy EMC script rendered this label, so the
      // legacy form (site id from the queue) renders it too, with the ids and
      // classes portals' CSS and scripts already target; data-label="inject"
      // asks for it in the data-site form. Never next to an existing label.
      if ((data.label == 'inject' || (!data.site && site)) && !all(LABEL)[0])
        d.body.insertAdjacentHTML(
          'beforeend',
          '<div id="yhy-append" class="yhy-append-wrap" data-emc-label style="position:fixed;left:0;bottom:0;z-index:9999;padding:2px 8px;font:12px Arial,sans-serif;color:#004a99;background:#fff;border:1px solid">Đã kết nối EMC</div>'
        );

      if (data.site) pageview();
      q.map((c) => isTrack(c) && run(c));
      if ('links' in data) links();

      // Commands pushed from now on run at once, and still land in the array
      // (a real Matomo tracker may read the same _paq later).
      q.push = function () {
        [].map.call(arguments, run);
        return push.apply(q, arguments);
      };

      // window.emc('event', name, props), window.emc('pageview'), and the calls
      // a stub queued in window.emc.q before the tag loaded.
      w.emc = guard((cmd, name, props) => (cmd == 'pageview' ? pageview() : event(name, props)));
      if (stub) [].map.call(stub, (a) => w.emc.apply(0, a));

      ['pushState', 'replaceState'].map((k, f) => {
        f = history[k];
        history[k] = function () {
          navigate();
          return f.apply(this, arguments);
        };
      });
      on('popstate', navigate);
      if ('hash' in data) on('hashchange', navigate);
      on('visibilitychange', () => (d.hidden ? engage(1) : (visibleSince = visibleSince || now())), d);
      on('pagehide', () => engage(1));

      new PerformanceObserver((l) => (lcp = l.getEntries().pop().startTime)).observe({
        type: 'largest-contentful-paint',
        buffered: true,
      });
    };

    if (d.readyState == 'loading') on('DOMContentLoaded', start, d);
    else guard(start)();
  } catch (e) {}
})(window, document);
