// Unit tests of the tag's logic in a fake browser (test/fakedom.js). Every
// test runs twice: against src/tracker.js and against the shipped
// dist/tracker.min.js, so a minifier change that breaks behaviour fails here.
'use strict';
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { makeBrowser, El } = require('./fakedom');

const LEGACY_SNIPPET = () => [
  ['trackPageView'],
  ['enableLinkTracking'],
  ['setTrackerUrl', 'https://f-emc.ngsp.gov.vn/tracking'],
  ['setSiteId', '227'],
];

// The legacy snippet inserts the script async from <head>, with
// gov-tracking.min.js as its name.
const legacy = (o = {}) =>
  makeBrowser(
    Object.assign(
      {
        script: { src: 'https://emc.example.vn/embed/gov-tracking.min.js', async: true },
        globals: { _govaq: LEGACY_SNIPPET() },
      },
      o
    )
  );

const dataSite = (o = {}) =>
  makeBrowser(Object.assign({}, o, { script: Object.assign({ 'data-site': 'abc123', defer: true }, o.script) }));

const PERF = {
  navigation: { requestStart: 40.2, responseStart: 120.4, responseEnd: 300.6, loadEventEnd: 2500.7 },
  paints: [
    { name: 'first-paint', startTime: 850 },
    { name: 'first-contentful-paint', startTime: 900.49 },
  ],
  resources: [
    // same origin: 1200 - 400 = 800 is the slowest one of the page load
    { name: 'https://portal.gov.vn/app.js', startTime: 350, requestStart: 400, responseEnd: 1200 },
    { name: 'https://portal.gov.vn/style.css', startTime: 350, requestStart: 360, responseEnd: 500 },
    // other origins and look-alike hosts do not count
    { name: 'https://cdn.example.com/big.js', startTime: 300, requestStart: 310, responseEnd: 4000 },
    { name: 'https://portal.gov.vn.evil.example/x.js', startTime: 300, requestStart: 310, responseEnd: 4000 },
    // started after the load event: not part of the page load
    { name: 'https://portal.gov.vn/api/late', startTime: 2600, requestStart: 2610, responseEnd: 9000 },
    // no requestStart (opaque timing): ignored
    { name: 'https://portal.gov.vn/cached.png', startTime: 360, requestStart: 0, responseEnd: 3000 },
  ],
};

for (const which of ['src', 'dist']) {
  describe(`tracker (${which})`, () => {
    describe('script and endpoint', () => {
      test('data-site form: pageview on load to <script origin>/api/event, as a string body', () => {
        const b = dataSite({ screenWidth: 1366 }).load(which);
        assert.equal(b.beacons.length, 1);
        const [p] = b.beacons;
        assert.equal(p.url, 'https://emc.example.vn/api/event');
        assert.equal(p.type, 'string'); // sendBeacon(string): text/plain, no preflight
        assert.deepEqual(p.body, {
          site: 'abc123',
          name: 'pageview',
          url: 'https://portal.gov.vn/tin-tuc/a?x=1',
          screen_width: 1366,
          title: 'Trang chủ',
          referrer: 'https://www.google.com/',
          meta: { emc_label: false, dc: [] },
        });
      });

      test('document.currentScript is ours: other scripts and their data-site are ignored', () => {
        const b = makeBrowser({
          script: { src: 'https://collector.gov.vn/tracker.js?v=3', 'data-site': 'x1' },
          body: [new El('script', { src: 'https://other.example/tracker.js', 'data-site': 'nope' })],
        }).load(which);
        assert.equal(b.beacons.length, 1);
        assert.equal(b.beacons[0].url, 'https://collector.gov.vn/api/event');
        assert.equal(b.beacons[0].body.site, 'x1');
      });

      test('without currentScript, the data-site form sends nothing (its attributes are unknown)', () => {
        const b = makeBrowser({
          currentScript: false,
          script: { src: 'https://collector.gov.vn/tracker.js', 'data-site': 'x1' },
        }).load(which);
        b.hide();
        assert.equal(b.beacons.length, 0);
      });

      test('legacy form sends to the script origin, not to setTrackerUrl', () => {
        const b = legacy().load(which);
        assert.deepEqual(
          b.beacons.map((x) => x.url),
          ['https://emc.example.vn/api/event']
        );
      });

      test('falls back to the origin of setTrackerUrl when the script is unknown', () => {
        const b = legacy({ script: null, currentScript: false }).load(which);
        assert.equal(b.beacons.length, 1);
        assert.equal(b.beacons[0].url, 'https://f-emc.ngsp.gov.vn/api/event');
      });

      test('sends nothing without a site code', () => {
        const b = makeBrowser({ script: {} }).load(which);
        b.advance(1000);
        b.hide();
        assert.equal(b.beacons.length, 0);
      });
    });

    describe('legacy command queue', () => {
      test('configuration runs before tracking: trackPageView pushed before setSiteId counts', () => {
        const b = legacy().load(which);
        assert.deepEqual(b.names(), ['pageview']);
        assert.equal(b.beacons[0].body.site, '227');
      });

      test('a numeric site id becomes a string', () => {
        const b = legacy({ globals: { _govaq: [['trackPageView'], ['setSiteId', 227]] } }).load(which);
        assert.equal(b.beacons[0].body.site, '227');
      });

      test('window._paq is read when there is no _govaq', () => {
        const b = legacy({ globals: { _paq: LEGACY_SNIPPET() } }).load(which);
        assert.equal(b.beacons[0].body.site, '227');
      });

      test('_govaq wins over _paq', () => {
        const b = legacy({
          globals: { _govaq: LEGACY_SNIPPET(), _paq: [['setSiteId', '9'], ['trackPageView']] },
        }).load(which);
        assert.deepEqual(
          b.beacons.map((x) => x.body.site),
          ['227']
        );
      });

      test("a Matomo tracker's own _paq object (not an array) is left alone", () => {
        const proxy = { push() {} };
        const b = dataSite({ globals: { _paq: proxy } }).load(which);
        assert.deepEqual(b.names(), ['pageview']);
        assert.equal(typeof proxy.push, 'function');
      });

      test('data-site wins over setSiteId', () => {
        const b = dataSite({ globals: { _govaq: LEGACY_SNIPPET() } }).load(which);
        assert.deepEqual(
          b.beacons.map((x) => [x.body.name, x.body.site]),
          [['pageview', 'abc123']] // and the queued trackPageView is the same page: not sent twice
        );
      });

      test('commands pushed after load run at once, in order', () => {
        const b = legacy().load(which);
        b.window._govaq.push(['trackEvent', 'Văn bản', 'Tải về', 'QĐ 123', 2]);
        b.window._govaq.push(['trackEvent', 'Menu', 'click']);
        assert.deepEqual(b.names(), ['pageview', 'Tải về', 'click']);
        assert.deepEqual(b.beacons[1].body.props, { category: 'Văn bản', action: 'Tải về', name: 'QĐ 123', value: '2' });
        assert.deepEqual(b.beacons[2].body.props, { category: 'Menu', action: 'click' });
      });

      test('trackSiteSearch is a site_search event: keyword as name, result count as value', () => {
        const b = legacy().load(which);
        b.window._govaq.push(['trackSiteSearch', 'hộ chiếu', 'Thủ tục', 0]);
        b.window._govaq.push(['trackSiteSearch', 'visa']);
        assert.deepEqual(b.names(), ['pageview', 'site_search', 'site_search']);
        assert.deepEqual(b.beacons[1].body.props, { category: 'Thủ tục', name: 'hộ chiếu', value: '0' });
        assert.deepEqual(b.beacons[2].body.props, { name: 'visa' });
      });

      test('trackEvent without an action is named "event"', () => {
        const b = legacy().load(which);
        b.window._govaq.push(['trackEvent', 'Cat']);
        assert.deepEqual(b.beacons[1].body, {
          site: '227',
          name: 'event',
          url: 'https://portal.gov.vn/tin-tuc/a?x=1',
          screen_width: 1280,
          props: { category: 'Cat' },
        });
      });

      test('trackDVC sends the service, flag, dossier id and date, never the name or ID number', () => {
        const b = legacy().load(which);
        b.window._govaq.push(['trackDVC', '1.001234', 1, 'HS-2024-0001;05032024;Nguyễn Văn A;001203004567']);
        const dvc = b.beacons[1];
        assert.deepEqual(dvc.body.props, { service: '1.001234', flag: '1', dossier: 'HS-2024-0001', date: '05032024' });
        assert.equal(dvc.body.name, 'dvc');
        assert.doesNotMatch(dvc.raw, /Nguy|001203004567/);
      });

      test('trackDVC as the deployed portals call it (empty data)', () => {
        const b = legacy().load(which);
        b.window._govaq.push(['trackDVC', '2.000123', '-1', '']);
        b.window._govaq.push(['trackDVC', '2.000124', '1']);
        assert.deepEqual(b.beacons[1].body.props, { service: '2.000123', flag: '-1', dossier: '' });
        assert.deepEqual(b.beacons[2].body.props, { service: '2.000124', flag: '1', dossier: '' });
      });

      test('setCustomUrl and setDocumentTitle apply to the pageview', () => {
        const q = [['trackPageView'], ['setSiteId', '5'], ['setCustomUrl', 'https://portal.gov.vn/canonical'], ['setDocumentTitle', 'Tiêu đề']];
        const b = legacy({ globals: { _govaq: q } }).load(which);
        assert.equal(b.beacons[0].body.url, 'https://portal.gov.vn/canonical');
        assert.equal(b.beacons[0].body.title, 'Tiêu đề');
      });

      test('trackPageView(customTitle)', () => {
        const b = legacy({ globals: { _govaq: [['setSiteId', '5'], ['trackPageView', 'Tên riêng']] } }).load(which);
        assert.equal(b.beacons[0].body.title, 'Tên riêng');
      });

      test('unknown commands and junk in the queue are ignored', () => {
        const q = [['setUserId', 'x'], ['bogus', 1], [], [function () {}], ['setSiteId', '5'], ['trackPageView']];
        const b = legacy({ globals: { _govaq: q } }).load(which);
        assert.deepEqual(b.names(), ['pageview']);
        b.window._govaq.push(['nope'], ['trackEvent', 'a', 'b']);
        assert.deepEqual(b.names(), ['pageview', 'b']);
      });

      test('legacy queue without trackPageView sends no pageview', () => {
        const b = legacy({ globals: { _govaq: [['setSiteId', '5']] } }).load(which);
        assert.equal(b.beacons.length, 0);
      });
    });

    describe('outbound links and downloads', () => {
      // A page with links of every kind; returns the browser and its links by name.
      const page = (make, o = {}) => {
        const a = {
          other: new El('a', { href: 'https://www.chinhphu.vn/tin/1' }, ['Chính phủ']),
          pdf: new El('a', { href: '/van-ban/qd-123.pdf' }, ['QĐ 123']),
          local: new El('a', { href: '/tin-tuc/b' }, ['Tin B']),
          attr: new El('a', { href: '/api/export?id=7', download: true }, ['Xuất']),
          otherDoc: new El('a', { href: 'https://cdn.example.vn/bieu-mau.DOCX?v=2' }, ['Biểu mẫu']),
          nested: new El('a', { href: 'https://dichvucong.gov.vn/' }, [new El('span', {}, ['Dịch vụ công'])]),
          js: new El('a', { href: 'javascript:void(0)' }, ['menu']),
          mail: new El('a', { href: 'mailto:lienhe@portal.gov.vn' }, ['thư']),
          tel: new El('a', { href: 'tel:+842400000' }, ['gọi']),
          fragment: new El('a', { href: '#top' }, ['lên đầu']),
          bare: new El('a', { name: 'x' }, ['no href']),
          text: new El('p', {}, ['text']),
        };
        const b = make(Object.assign({ body: Object.values(a) }, o)).load(which);
        return [b, a];
      };
      const linkEvents = (b) => b.beacons.filter((x) => x.body.props && 'url' in x.body.props).map((x) => [x.body.name, x.body.props.url]);

      test('off by default: data-site alone tracks no link', () => {
        const [b, a] = page(dataSite);
        for (const el of Object.values(a)) b.click(el);
        assert.deepEqual(b.names(), ['pageview']);
      });

      test('off by default: a legacy queue without enableLinkTracking tracks no link', () => {
        const [b, a] = page(legacy, { globals: { _govaq: [['setSiteId', '5'], ['trackPageView']] } });
        b.click(a.other);
        b.click(a.pdf);
        assert.deepEqual(b.names(), ['pageview']);
      });

      test('data-links: a link to another host is an outbound event with its URL', () => {
        const [b, a] = page(dataSite, { script: { 'data-links': '' } });
        b.click(a.other);
        assert.deepEqual(b.beacons[1].body, {
          site: 'abc123',
          name: 'outbound',
          url: 'https://portal.gov.vn/tin-tuc/a?x=1',
          screen_width: 1280,
          props: { url: 'https://www.chinhphu.vn/tin/1' },
        });
        assert.equal(b.beacons[1].url, 'https://emc.example.vn/api/event');
      });

      test('a file extension is a download, the URL absolute; download wins over outbound', () => {
        const [b, a] = page(dataSite, { script: { 'data-links': '' } });
        b.click(a.pdf);
        b.click(a.otherDoc); // another host, but a .docx (any case, query string after it)
        assert.deepEqual(linkEvents(b), [
          ['download', 'https://portal.gov.vn/van-ban/qd-123.pdf'],
          ['download', 'https://cdn.example.vn/bieu-mau.DOCX?v=2'],
        ]);
      });

      test('every listed extension is a download; a page is not', () => {
        const exts = ['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'zip', 'rar', '7z', 'csv', 'txt', 'xml', 'mp3', 'mp4'];
        const links = [...exts.map((x) => new El('a', { href: '/tep/a.' + x })), new El('a', { href: '/tep/a.html' }), new El('a', { href: '/tep/pdf' })];
        const b = dataSite({ script: { 'data-links': '' }, body: links }).load(which);
        for (const el of links) b.click(el);
        assert.deepEqual(b.names(), ['pageview', ...exts.map(() => 'download')]);
      });

      test('the download attribute makes a same-host link a download', () => {
        const [b, a] = page(dataSite, { script: { 'data-links': '' } });
        b.click(a.attr);
        assert.deepEqual(linkEvents(b), [['download', 'https://portal.gov.vn/api/export?id=7']]);
      });

      test('same-host pages, fragments, javascript:, mailto:, tel:, links without href and non-links send nothing', () => {
        const [b, a] = page(dataSite, { script: { 'data-links': '' } });
        for (const k of ['local', 'fragment', 'js', 'mail', 'tel', 'bare', 'text']) b.click(a[k]);
        assert.deepEqual(b.names(), ['pageview']);
      });

      test('a click on an element inside the link counts', () => {
        const [b, a] = page(dataSite, { script: { 'data-links': '' } });
        b.click(a.nested.children[0]);
        assert.deepEqual(linkEvents(b), [['outbound', 'https://dichvucong.gov.vn/']]);
      });

      test('the deployed legacy snippet (enableLinkTracking in the queue) tracks links', () => {
        const [b, a] = page(legacy);
        b.click(a.other);
        b.click(a.pdf);
        b.click(a.local);
        assert.deepEqual(b.names(), ['pageview', 'outbound', 'download']);
        assert.equal(b.beacons[1].body.site, '227');
      });

      test('enableLinkTracking pushed later turns it on', () => {
        const [b, a] = page(legacy, { globals: { _govaq: [['setSiteId', '5'], ['trackPageView']] } });
        b.click(a.other);
        b.window._govaq.push(['enableLinkTracking']);
        b.click(a.other);
        assert.deepEqual(b.names(), ['pageview', 'outbound']);
      });

      test('a click whose target is no element does not throw', () => {
        const [b] = page(dataSite, { script: { 'data-links': '' } });
        assert.doesNotThrow(() => b.fire('click', { target: b.window, button: 0 }));
        assert.doesNotThrow(() => b.fire('click', {}));
        assert.deepEqual(b.names(), ['pageview']);
      });
    });

    describe('custom events', () => {
      test("window.emc('event', name, props): props values become strings", () => {
        const b = dataSite().load(which);
        b.window.emc('event', 'search', { q: 'hộ chiếu', page: 2, ok: true, none: null, missing: undefined });
        assert.deepEqual(b.beacons[1].body, {
          site: 'abc123',
          name: 'search',
          url: 'https://portal.gov.vn/tin-tuc/a?x=1',
          screen_width: 1280,
          props: { q: 'hộ chiếu', page: '2', ok: 'true' },
        });
      });

      test('window.emc never throws', () => {
        const b = dataSite().load(which);
        assert.doesNotThrow(() => b.window.emc());
        assert.doesNotThrow(() => b.window.emc('event', 'x', 'not an object'));
      });
    });

    describe('Dublin Core and EMC label', () => {
      const metas = () => [
        new El('meta', { name: 'DC.Title', content: 'Cổng thông tin' }),
        new El('meta', { name: 'dc.creator', content: 'UBND tỉnh' }),
        new El('meta', { name: 'DC.Date.Issued', content: '2024-03-05' }),
        new El('meta', { name: 'DC.Subject', content: '   ' }), // empty: does not count
        new El('meta', { name: 'DCTERMS.rights', content: 'x' }), // not DC.*
        new El('meta', { name: 'description', content: 'x' }),
        new El('meta', { name: 'DC.Identifier', content: 'urn:x' }),
      ];

      test('meta.dc: the DC.x elements with content, as written, in page order', () => {
        const b = dataSite({ head: metas() }).load(which);
        assert.deepEqual(b.beacons[0].body.meta.dc, ['Title', 'creator', 'Date', 'Identifier']);
      });

      test('#btnEMC visible → emc_label true', () => {
        const b = dataSite({ body: [new El('a', { id: 'btnEMC', href: 'javascript:void(0)' }, ['Đã kết nối EMC'])] }).load(which);
        assert.equal(b.beacons[0].body.meta.emc_label, true);
      });

      test('[data-emc-label] with a layout box → true; display:none on it or an ancestor → false', () => {
        const hiddenByParent = new El('div', { style: 'display:none' }, [new El('span', { 'data-emc-label': true })]);
        // visibility:hidden is not looked at (left out to fit the budget, see README)
        const invisible = new El('div', { style: 'visibility:hidden' }, [new El('span', { 'data-emc-label': true })]);
        for (const [nodes, want] of [
          [[hiddenByParent], false],
          [[invisible], true],
          [[new El('span', { 'data-emc-label': true }, ['EMC'])], true],
          [[new El('a', { id: 'btnEMC', style: 'display:none' }), new El('img', { 'data-emc-label': '' })], true],
        ]) {
          const b = dataSite({ body: nodes }).load(which);
          assert.equal(b.beacons[0].body.meta.emc_label, want);
        }
      });

      test('data-label="inject" renders the label, which then counts', () => {
        const b = dataSite({ script: { 'data-label': 'inject' } }).load(which);
        const [label] = b.document.querySelectorAll('[data-emc-label]');
        assert.ok(label);
        assert.equal(label.textContent, 'Đã kết nối EMC');
        assert.equal(label.tagName, 'B');
        assert.equal(label.parentNode, b.document.body, 'appended to the body');
        assert.equal(b.document.body.children.at(-1), label, 'at its end');
        assert.equal(b.beacons[0].body.meta.emc_label, true);
      });

      test('the legacy form renders the label (the old EMC script did); data-site alone does not', () => {
        assert.equal(legacy().load(which).document.querySelectorAll('[data-emc-label]').length, 1);
        assert.equal(legacy().load(which).beacons[0].body.meta.emc_label, true);
        assert.equal(dataSite().load(which).document.querySelectorAll('[data-emc-label]').length, 0);
      });

      test('no second label next to an existing one', () => {
        const b = legacy({ body: [new El('a', { id: 'btnEMC' }, ['Đã kết nối EMC'])] }).load(which);
        assert.equal(b.document.querySelectorAll('#btnEMC,[data-emc-label]').length, 1);
      });
    });

    describe('SPA navigation', () => {
      test('pushState to a new URL: pageview with an empty referrer and the new title', async () => {
        const b = dataSite().load(which);
        b.window.history.pushState({}, '', '/tin-tuc/b');
        b.document.title = 'Tin B'; // the router sets it after pushState
        await b.tick();
        assert.deepEqual(b.names(), ['pageview', 'pageview']);
        const p = b.beacons[1].body;
        assert.equal(p.url, 'https://portal.gov.vn/tin-tuc/b');
        assert.equal(p.referrer, '');
        assert.equal(p.title, 'Tin B');
      });

      test('replaceState / popstate without a URL change send nothing', async () => {
        const b = dataSite().load(which);
        b.window.history.replaceState({ scroll: 1 }, '');
        b.window.history.replaceState({ scroll: 2 }, '', '/tin-tuc/a?x=1');
        b.fire('popstate');
        await b.tick();
        assert.deepEqual(b.names(), ['pageview']);
      });

      test('replaceState to a new URL and back (popstate) are pageviews', async () => {
        const b = dataSite().load(which);
        b.window.history.replaceState({}, '', '/c');
        await b.tick();
        b.go('https://portal.gov.vn/tin-tuc/a?x=1'); // back button
        b.fire('popstate');
        await b.tick();
        assert.deepEqual(
          b.beacons.map((x) => x.body.url),
          ['https://portal.gov.vn/tin-tuc/a?x=1', 'https://portal.gov.vn/c', 'https://portal.gov.vn/tin-tuc/a?x=1']
        );
      });

      test('a #fragment change is not a pageview without data-hash…', async () => {
        const b = dataSite().load(which);
        b.go('#muc-2');
        b.fire('popstate');
        b.window.history.pushState({}, '', '#muc-3');
        await b.tick();
        assert.deepEqual(b.names(), ['pageview']);
      });

      test('…and is one with data-hash (popstate fires on fragment navigation)', async () => {
        const b = dataSite({ script: { 'data-hash': '' } }).load(which);
        b.window.history.pushState({}, '', '#/ho-so/1');
        await b.tick();
        b.go('#/ho-so/2'); // a link to #/ho-so/2
        b.fire('popstate');
        await b.tick();
        assert.deepEqual(
          b.beacons.map((x) => x.body.url),
          [
            'https://portal.gov.vn/tin-tuc/a?x=1',
            'https://portal.gov.vn/tin-tuc/a?x=1#/ho-so/1',
            'https://portal.gov.vn/tin-tuc/a?x=1#/ho-so/2',
          ]
        );
      });

      test('the wrapped history methods still work and return what the originals return', () => {
        const b = dataSite();
        let calls = 0;
        b.window.history.pushState = function (s, t, u) {
          calls++;
          return 'orig';
        };
        b.load(which);
        assert.equal(b.window.history.pushState({}, '', '/x'), 'orig');
        assert.equal(calls, 1);
      });

      test('legacy queue without a first pageview: SPA navigation sends nothing', async () => {
        const b = legacy({ globals: { _govaq: [['setSiteId', '5']] } }).load(which);
        b.window.history.pushState({}, '', '/x');
        await b.tick();
        assert.equal(b.beacons.length, 0);
      });
    });

    describe('engagement', () => {
      test('on hide: engaged time, all five timings (integer ms), meta', () => {
        const b = dataSite({
          perf: PERF,
          head: [new El('meta', { name: 'DC.Title', content: 't' })],
          body: [new El('a', { id: 'btnEMC' }, ['EMC'])],
        }).load(which);
        b.lcp(1500.6);
        b.lcp(1800.2); // the last LCP entry wins
        b.advance(12345);
        b.hide();
        assert.deepEqual(b.names(), ['pageview', 'engagement']);
        assert.deepEqual(b.beacons[1].body, {
          site: 'abc123',
          name: 'engagement',
          url: 'https://portal.gov.vn/tin-tuc/a?x=1',
          title: 'Trang chủ',
          screen_width: 1280,
          engaged_ms: 12345,
          timing: { ttfb: 120, fcp: 900, lcp: 1800, load: 2501, response: 800 },
          meta: { emc_label: true, dc: ['Title'] },
        });
      });

      test('at most once per pageview', () => {
        const b = dataSite({ perf: PERF }).load(which);
        b.hide();
        b.show();
        b.advance(5000);
        b.hide();
        b.fire('visibilitychange');
        assert.deepEqual(b.names(), ['pageview', 'engagement']);
      });

      test('engaged time counts visible time only', () => {
        const b = dataSite({ hidden: true, perf: PERF }).load(which); // opened in a background tab
        b.advance(60000);
        b.show();
        b.advance(7000);
        b.hide();
        assert.equal(b.beacons[1].body.engaged_ms, 7000);
      });

      test('never visible: engaged_ms is 0', () => {
        const b = dataSite({ hidden: true }).load(which);
        b.advance(60000);
        b.fire('visibilitychange');
        assert.equal(b.beacons[1].body.engaged_ms, 0);
      });

      test('after SPA navigation: a new engagement, without the page-load timings again', async () => {
        const b = dataSite({ perf: PERF }).load(which);
        b.advance(1000);
        b.hide();
        b.show();
        b.window.history.pushState({}, '', '/tin-tuc/b');
        await b.tick();
        b.advance(3000);
        b.hide();
        assert.deepEqual(b.names(), ['pageview', 'engagement', 'pageview', 'engagement']);
        assert.ok(b.beacons[1].body.timing);
        assert.equal(b.beacons[3].body.timing, undefined);
        assert.equal(b.beacons[3].body.url, 'https://portal.gov.vn/tin-tuc/b');
        assert.equal(b.beacons[3].body.engaged_ms, 3000);
        assert.ok(b.beacons[3].body.meta);
      });

      test('timings not available are left out, never sent as 0', () => {
        const b = dataSite({
          perf: { navigation: { requestStart: 10, responseStart: 55, responseEnd: 70, loadEventEnd: 0 } },
        }).load(which);
        b.hide(); // hidden before the load event, no paint, no LCP
        assert.deepEqual(b.beacons[1].body.timing, { ttfb: 55, response: 60 });
      });

      test('no performance entries at all: timing is empty, the rest is sent', () => {
        const b = dataSite().load(which);
        b.hide();
        assert.deepEqual(b.beacons[1].body.timing, {});
        assert.equal(b.beacons[1].body.engaged_ms, 0);
      });

      test('no engagement before the first pageview', () => {
        const b = legacy({ globals: { _govaq: [['setSiteId', '5']] } }).load(which);
        b.hide();
        assert.equal(b.beacons.length, 0);
      });
    });

    describe('page life and safety', () => {
      test('waits for DOMContentLoaded while the document is loading', () => {
        const b = legacy({ readyState: 'loading' }).load(which);
        assert.equal(b.beacons.length, 0);
        b.document.body.appendChild(new El('meta', { name: 'DC.Title', content: 'late' }));
        b.document.readyState = 'interactive';
        b.fire('DOMContentLoaded');
        assert.deepEqual(b.names(), ['pageview']);
        assert.deepEqual(b.beacons[0].body.meta.dc, ['Title']);
      });

      test('loaded twice: one copy tracks', () => {
        const b = dataSite().load(which).load(which);
        assert.deepEqual(b.names(), ['pageview']);
      });

      for (const url of ['http://localhost:3000/', 'http://127.0.0.1/x', 'http://[::1]:8080/', 'file:///C:/site/index.html']) {
        test(`ignores ${url} unless data-allow-local`, () => {
          const quiet = dataSite({ url }).load(which);
          quiet.hide();
          assert.equal(quiet.beacons.length, 0);
          const loud = dataSite({ url, script: { 'data-allow-local': '' } }).load(which);
          assert.deepEqual(loud.names(), ['pageview']);
        });
      }

      test('real hosts are tracked, whatever they start with', () => {
        for (const url of ['https://longan.gov.vn/', 'https://127x.gov.vn/', 'https://lo.gov.vn/', 'http://10.0.0.5/'])
          assert.equal(dataSite({ url }).load(which).beacons.length, 1, url);
      });

      test('no cookies, no storage', () => {
        const b = dataSite({ perf: PERF }).load(which);
        b.window.history.pushState({}, '', '/b');
        b.hide();
        b.window.emc('event', 'x', {});
        assert.deepEqual(b.touched, []);
      });

      test('never throws into the page, whatever the browser lacks', async () => {
        const b = dataSite({ perf: PERF });
        b.window.navigator.sendBeacon = () => {
          throw new Error('blocked');
        };
        delete b.window.PerformanceObserver;
        b.window.performance = {};
        assert.doesNotThrow(() => b.load(which));
        assert.doesNotThrow(() => b.window.history.pushState({}, '', '/b'));
        await b.tick();
        assert.doesNotThrow(() => b.hide());
        assert.doesNotThrow(() => b.window._govaq);
      });

      test('a broken document (no body) does not throw', () => {
        const b = legacy();
        b.document.body = null;
        assert.doesNotThrow(() => b.load(which));
      });
    });
  });
}
