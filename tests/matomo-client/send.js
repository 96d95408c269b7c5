// Drives Matomo's own Node client (matomo-tracker, maintained by Matomo) against a
// collector: `node send.js <collector base URL> <site>`. Each request gets its own tracker
// so the HTTP errors it emits can be told apart. Prints one JSON object when every
// request has finished: {"errors":[{"label","status"}],"bulk":<bulk answer body>}.
'use strict';
const http = require('http');
const MatomoTracker = require('matomo-tracker');

// matomo-tracker's track() never reads the answer, which keeps the keep-alive socket (and
// this process) open. Drain each answer and count what is still pending; the requests
// themselves are exactly what the client sends.
let pending = 0;
const get = http.get;
http.get = function (url, callback) {
  pending++;
  const req = get.call(http, url, (res) => {
    callback(res);
    res.on('end', done);
    res.resume();
  });
  req.on('error', done);
  return req;
};

const [base, site] = process.argv.slice(2);
if (!base || !site) {
  console.error('usage: node send.js <collector base URL> <site>');
  process.exit(2);
}
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const PAGE = 'https://portal.gov.vn/tin-tuc/bai-1';
const out = { errors: [], bulk: null };

function tracker(label, siteId, path) {
  // /matomo.php passes the client's URL check; /tracking needs noURLValidation.
  const t = path === '/tracking' ? new MatomoTracker(siteId, base + path, true) : new MatomoTracker(siteId, base + path);
  t.on('error', (status) => out.errors.push({ label, status }));
  return t;
}

// A page view as a server-side integration sends it: the browser's UA and visitor ids
// (which the collector must ignore), screen, referrer, custom variables.
tracker('pageview', site, '/matomo.php').track({
  url: PAGE,
  action_name: 'Tin tức / Bài 1',
  urlref: 'https://www.google.com/',
  ua: UA,
  res: '1920x1080',
  _id: '5c3a1b2c3d4e5f60',
  uid: 'nguoidung@mail.vn',
  cid: '0123456789abcdef',
  lang: 'vi-VN',
  cvar: JSON.stringify({ 1: ['hoso', '000.00.12.H56-240305-0001;05032024;Nguyễn Văn An;001203004567'], 2: ['email', 'nguoidung@mail.vn'] }),
  pv_id: 'aB3dE6',
  pf_net: 12, pf_srv: 88, pf_tfr: 20, pf_dm1: 400, pf_dm2: 50, pf_onl: 10,
});
tracker('event', site, '/tracking').track({ url: PAGE, ua: UA, e_c: 'Văn bản', e_a: 'Tải về', e_n: 'QĐ-123', e_v: 1 });
tracker('outlink', site, '/matomo.php').track({ url: PAGE, ua: UA, link: 'https://chinhphu.vn/' });
tracker('download', site, '/matomo.php').track({ url: PAGE, ua: UA, download: 'https://portal.gov.vn/van-ban/qd-123.pdf' });
tracker('no-ua', site, '/matomo.php').track({ url: PAGE });
tracker('unknown-site', '999', '/matomo.php').track({ url: PAGE, ua: UA });
tracker('malformed', site, '/matomo.php').track({ url: PAGE, ua: UA, res: 'huge' });
tracker('hostname', site, '/matomo.php').track({ url: 'https://evil.example/', ua: UA });
tracker('bulk', site, '/matomo.php').trackBulk(
  [
    { url: PAGE + '?bulk=1', action_name: 'Bulk 1', ua: UA },
    { url: PAGE + '?bulk=2', action_name: 'Bulk 2', ua: UA, cdt: '2026-01-01 00:00:00' },
    { url: PAGE, ua: UA, e_c: 'Video' },
  ],
  (body) => {
    out.bulk = JSON.parse(body);
    done();
  }
);
pending++; // the bulk request

function done() {
  if (--pending > 0) return;
  out.errors.sort((a, b) => (a.label < b.label ? -1 : 1));
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
}
