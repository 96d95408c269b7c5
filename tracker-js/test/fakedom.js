// A small fake browser for the tag's unit tests: just the DOM, window and
// performance surface src/tracker.js touches, with knobs for the tests.
// Real-browser behaviour is covered later by the headless Chromium tests.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const SOURCES = {
  src: path.join(__dirname, '..', 'src', 'tracker.js'),
  dist: path.join(__dirname, '..', 'dist', 'tracker.min.js'),
};

// ---- elements ---------------------------------------------------------------

class El {
  constructor(tag, attrs = {}, children = []) {
    this.tagName = tag.toUpperCase();
    this.attrs = {};
    this.style = {};
    this.children = [];
    this.parentNode = null;
    this.text = '';
    this.doc = null; // set on the root element of a document
    for (const [k, v] of Object.entries(attrs)) this.setAttribute(k, v === true ? '' : String(v));
    for (const c of children) typeof c == 'string' ? (this.text += c) : this.appendChild(c);
  }
  setAttribute(k, v) {
    k = k.toLowerCase();
    this.attrs[k] = v;
    if (k == 'style')
      for (const decl of v.split(';')) {
        const [p, val] = decl.split(':');
        if (p && val !== undefined) this.style[p.trim()] = val.trim();
      }
  }
  getAttribute(k) {
    k = k.toLowerCase();
    return k in this.attrs ? this.attrs[k] : null;
  }
  hasAttribute(k) {
    return k.toLowerCase() in this.attrs;
  }
  appendChild(c) {
    c.parentNode = this;
    this.children.push(c);
    return c;
  }
  get ownerDocument() {
    let n = this;
    while (n.parentNode) n = n.parentNode;
    return n.doc;
  }
  get isConnected() {
    return !!this.ownerDocument;
  }
  get id() {
    return this.getAttribute('id') || '';
  }
  get name() {
    return this.getAttribute('name') || '';
  }
  get content() {
    return this.getAttribute('content') || '';
  }
  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  // URL attributes reflect as absolute URLs, as in a browser.
  get src() {
    const v = this.getAttribute('src');
    return v == null ? '' : new URL(v, this.ownerDocument ? this.ownerDocument.URL : undefined).href;
  }
  // <a href>: href, and its URL parts ('' without a href; javascript:,
  // mailto:… have no host).
  get href() {
    const v = this.getAttribute('href');
    return v == null ? '' : new URL(v, this.ownerDocument ? this.ownerDocument.URL : undefined).href;
  }
  get host() {
    return this.href && new URL(this.href).host;
  }
  get pathname() {
    return this.href && new URL(this.href).pathname;
  }
  get dataset() {
    const o = {};
    for (const [k, v] of Object.entries(this.attrs))
      if (k.startsWith('data-')) o[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    return o;
  }
  *descendants() {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }
  matches(selector) {
    return selector.split(',').some((s) => matchCompound(this, s.trim()));
  }
  closest(selector) {
    for (let n = this; n && n.tagName; n = n.parentNode) if (n.matches(selector)) return n;
    return null;
  }
  querySelectorAll(selector) {
    return [...this.descendants()].filter((e) => e.matches(selector));
  }
  // Layout: no box when detached or when it or an ancestor is display:none.
  getClientRects() {
    if (!this.isConnected) return [];
    for (let n = this; n && n.tagName; n = n.parentNode) if (n.style.display == 'none') return [];
    return [{ width: 100, height: 20 }];
  }
  insertAdjacentHTML(where, html) {
    if (where != 'beforeend') throw new Error('fake DOM: only beforeend');
    for (const e of parseHTML(html)) this.appendChild(e);
  }
}

// Compound selectors: tag? #id? [attr] [attr="v"] [attr^="v" i] [attr*="v"] …
function matchCompound(el, s) {
  const m = /^([a-z]+)?(#[\w-]+)?((?:\[[^\]]+\])*)$/i.exec(s);
  if (!m) throw new Error('fake DOM: unsupported selector ' + s);
  if (m[1] && el.tagName != m[1].toUpperCase()) return false;
  if (m[2] && el.id != m[2].slice(1)) return false;
  const re = /\[([\w-]+)(?:([*^$]?=)(?:"([^"]*)"|([\w-]+))(\s+i)?)?\]/g;
  let a;
  while ((a = re.exec(m[3]))) {
    let v = el.getAttribute(a[1]);
    if (v == null) return false;
    if (!a[2]) continue;
    let want = a[3] !== undefined ? a[3] : a[4];
    if (a[5]) (v = v.toLowerCase()), (want = want.toLowerCase());
    const ok =
      a[2] == '=' ? v == want : a[2] == '^=' ? v.startsWith(want) : a[2] == '$=' ? v.endsWith(want) : v.includes(want);
    if (!ok) return false;
  }
  return true;
}

// Enough HTML for the injected label: nested elements, quoted or bare
// attribute values, text.
function parseHTML(html) {
  const out = [];
  const stack = [{ appendChild: (c) => out.push(c), set text(t) {}, get text() { return ''; } }];
  const re = /<\/(\w+)>|<(\w+)((?:\s+[\w-]+(?:=(?:"[^"]*"|[^\s>]+))?)*)\s*>|([^<]+)/g;
  let m;
  while ((m = re.exec(html))) {
    const top = stack[stack.length - 1];
    if (m[1]) stack.pop();
    else if (m[2]) {
      const attrs = {};
      const ar = /([\w-]+)(?:=(?:"([^"]*)"|([^\s>]+)))?/g;
      let a;
      while ((a = ar.exec(m[3] || ''))) attrs[a[1]] = a[2] !== undefined ? a[2] : a[3] !== undefined ? a[3] : '';
      const e = new El(m[2], attrs);
      if (top instanceof El) top.appendChild(e);
      else out.push(e);
      stack.push(e);
    } else if (top instanceof El) top.text += m[4];
  }
  return out;
}

// ---- the browser ------------------------------------------------------------

/**
 * makeBrowser(options) → env
 *  url            page URL (default https://portal.gov.vn/tin-tuc/a?x=1)
 *  referrer, title, hidden, readyState ('complete' | 'interactive' | 'loading')
 *  head, body     arrays of El added to <head> / <body>
 *  script         attributes of the tag's <script> (null: no script element)
 *  currentScript  whether document.currentScript is the script (default true)
 *  globals        extra window properties (e.g. _govaq)
 *  perf           {navigation, resources, paints} performance entries
 *  screenWidth
 */
function makeBrowser(o = {}) {
  const beacons = [];
  const listeners = {};
  const touched = []; // forbidden APIs the tag touched (cookies, storage)
  let clock = o.now || 1000000;

  const loc = {};
  const setHref = (u) => {
    const url = new URL(u, loc.href);
    for (const k of ['href', 'origin', 'host', 'hostname', 'protocol', 'pathname', 'search', 'hash']) loc[k] = url[k];
  };
  loc.toString = () => loc.href;
  setHref(o.url || 'https://portal.gov.vn/tin-tuc/a?x=1');

  const head = new El('head', {}, o.head || []);
  const body = new El('body', {}, o.body || []);
  const html = new El('html', {}, [head, body]);
  const script =
    o.script === null ? null : new El('script', Object.assign({ src: 'https://emc.example.vn/tracker.js' }, o.script));
  if (script) (o.scriptIn == 'body' ? body : head).appendChild(script);

  const document = {
    get URL() {
      return loc.href;
    },
    documentElement: html,
    head,
    body,
    title: o.title === undefined ? 'Trang chủ' : o.title,
    referrer: o.referrer === undefined ? 'https://www.google.com/' : o.referrer,
    readyState: o.readyState || 'interactive',
    hidden: !!o.hidden,
    currentScript: o.currentScript === false ? null : script,
    querySelectorAll: (s) => html.querySelectorAll(s).concat(html.matches(s) ? [html] : []),
    getElementById: (id) => html.querySelectorAll('#' + id)[0] || null,
    get cookie() {
      touched.push('document.cookie');
      return '';
    },
    set cookie(v) {
      touched.push('document.cookie=');
    },
  };
  html.doc = document;

  const perf = o.perf || {};
  const entries = () =>
    [
      ...(perf.navigation
        ? [Object.assign({ entryType: 'navigation', name: loc.href, startTime: 0, type: 'navigate' }, perf.navigation)]
        : []),
      ...(perf.resources || []).map((r) => Object.assign({ entryType: 'resource' }, r)),
      ...(perf.paints || []).map((p) => Object.assign({ entryType: 'paint' }, p)),
    ].sort((a, b) => a.startTime - b.startTime);
  const observers = [];

  const win = {
    document,
    location: loc,
    navigator: {
      userAgent: 'fake',
      sendBeacon(url, body) {
        beacons.push({ url: String(url), raw: body, type: typeof body, body: JSON.parse(body) });
        return true;
      },
    },
    screen: { width: o.screenWidth === undefined ? 1280 : o.screenWidth },
    history: {
      state: null,
      pushState(state, title, url) {
        if (url != null) setHref(url);
      },
      replaceState(state, title, url) {
        if (url != null) setHref(url);
      },
    },
    performance: {
      now: () => clock - 1000000,
      getEntries: entries,
      getEntriesByType: (t) => entries().filter((e) => e.entryType == t),
      getEntriesByName: (n) => entries().filter((e) => e.name == n),
    },
    PerformanceObserver: class {
      constructor(cb) {
        this.cb = cb;
        observers.push(this);
      }
      observe(opts) {
        this.opts = opts;
      }
    },
    getComputedStyle(el) {
      let visibility = 'visible';
      for (let n = el; n && n.tagName; n = n.parentNode)
        if (n.style.visibility) {
          visibility = n.style.visibility;
          break;
        }
      return { visibility, display: el.style.display || 'inline' };
    },
    addEventListener(type, fn) {
      (listeners[type] = listeners[type] || []).push(fn);
    },
    setTimeout,
    URL,
    console,
  };
  for (const k of ['localStorage', 'sessionStorage', 'indexedDB'])
    Object.defineProperty(win, k, {
      get() {
        touched.push(k);
        return undefined;
      },
    });
  Object.assign(win, o.globals || {});
  win.window = win;
  const ctx = vm.createContext(win);
  vm.runInContext('Date.now = () => __clock()', ctx);
  win.__clock = () => clock;

  return {
    window: win,
    document,
    location: loc,
    script,
    beacons,
    touched,
    observers,
    El,
    // Runs the tag ('src' or 'dist', or code) in this window.
    load(which = 'src') {
      const code = SOURCES[which] ? fs.readFileSync(SOURCES[which], 'utf8') : which;
      vm.runInContext(code, ctx, { filename: SOURCES[which] || 'inline.js' });
      return this;
    },
    fire(type, props = {}) {
      for (const fn of listeners[type] || []) fn(Object.assign({ type }, props));
    },
    listeners: (type) => (listeners[type] || []).length,
    // A click on el (primary button), as the browser dispatches it to the
    // window's listeners: the element clicked is the target.
    click(el, props = {}) {
      this.fire('click', Object.assign({ target: el, button: 0 }, props));
    },
    // Changes the URL the way a fragment navigation or the back button does
    // (no pushState); fire('popstate') afterwards, as the browser would.
    go(url) {
      setHref(url);
    },
    advance(ms) {
      clock += ms;
    },
    hide() {
      document.hidden = true;
      this.fire('visibilitychange');
    },
    show() {
      document.hidden = false;
      this.fire('visibilitychange');
    },
    // Lets pending setTimeout(…, 0) callbacks (SPA navigation) run.
    tick: () => new Promise((r) => setTimeout(r, 5)),
    lcp(startTime) {
      for (const ob of observers) ob.cb({ getEntries: () => [{ entryType: 'largest-contentful-paint', startTime }] });
    },
    names: () => beacons.map((b) => b.body.name),
  };
}

module.exports = { makeBrowser, El, SOURCES };
