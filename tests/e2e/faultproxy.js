#!/usr/bin/env node
// faultproxy.js - a fault-injecting HTTP proxy for the end-to-end tests.
// Node's standard library only.
//
//   node faultproxy.js --upstream http://127.0.0.1:PORT --control FILE \
//                      --log FILE --port-file FILE
//
// Listens on 127.0.0.1 (a free port, written to --port-file once ready)
// and forwards every request to --upstream unchanged (method, path,
// headers, body), so SigV4 headers pass through. What to break is read
// from the control file, a JSON array of rules, whenever the file changes
// (write a new file and rename it over the old one):
//
//   {"match": "slot-b.img",   substring of the request path (required)
//    "method": "GET",         only this method (optional)
//    "skip": 0,               let this many matching requests through first
//    "count": 1,              then act on this many (default 1)
//    "status": 500,           answer this status without asking upstream,
//                             with an S3 XML error body:
//    "code": "InternalError", its <Code> (default InternalError)
//    "message": "...",        its <Message> (default "injected <status>")
//    "headers": {...},        extra response headers (x-amz-bucket-region)
//    "date_offset_s": -1203,  Date header this many seconds from now
//    "delay_ms": 3000,        wait this long before forwarding
//    "cut_after": 100000,     forward, then drop the connection after this
//                             many body bytes
//    "pause_ms": 1000,        with cut_after: stall this long before the cut
//    "corrupt_at": 5000,      forward, flipping the bits of this body byte
//    "bytes_per_s": 1000000}  forward the body at this rate (8 KiB slices)
//
// Every request is logged to --log as one JSON line: method, path, range,
// if-match, if-none-match, status, action, body bytes sent.
'use strict';
const fs = require('fs');
const http = require('http');

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) {
    process.stderr.write(`faultproxy: --${name} is required\n`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const upstream = new URL(arg('upstream'));
const controlPath = arg('control');
const logPath = arg('log');
const portFile = arg('port-file');

let rules = [];
let controlStamp = '';

// Reload the rules when the control file changed (size, mtime or inode).
function loadRules() {
  let st;
  try {
    st = fs.statSync(controlPath);
  } catch (e) {
    rules = [];
    controlStamp = '';
    return;
  }
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
  if (stamp === controlStamp) return;
  controlStamp = stamp;
  try {
    const parsed = JSON.parse(fs.readFileSync(controlPath, 'utf8'));
    rules = (Array.isArray(parsed) ? parsed : []).map((r) => ({
      ...r, skip: r.skip || 0, count: r.count === undefined ? 1 : r.count,
    }));
  } catch (e) {
    process.stderr.write(`faultproxy: bad control file: ${e.message}\n`);
    rules = [];
  }
}

// The first live rule that matches takes this request (and is used up).
function takeRule(req) {
  loadRules();
  for (const r of rules) {
    if (r.count <= 0 || !req.url.includes(r.match)) continue;
    if (r.method && r.method !== req.method) continue;
    if (r.skip > 0) {
      r.skip--;
      return null;
    }
    r.count--;
    return r;
  }
  return null;
}

function log(entry) {
  fs.appendFileSync(logPath, JSON.stringify(entry) + '\n');
}

const server = http.createServer((req, res) => {
  const rule = takeRule(req);
  const entry = {
    method: req.method, path: req.url, range: req.headers.range || null,
    if_match: req.headers['if-match'] || null,
    if_none_match: req.headers['if-none-match'] || null,
    status: 0, action: 'pass', bytes: 0,
  };
  const done = () => log(entry);

  if (rule && rule.status) {
    // Drain the request body, then answer like S3 does with an XML error.
    req.resume();
    req.on('end', () => {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>` +
        `${rule.code || 'InternalError'}</Code>` +
        `<Message>${rule.message || 'injected ' + rule.status}</Message></Error>\n`;
      const headers = {...(rule.headers || {}), 'Content-Type': 'application/xml',
                       'Content-Length': Buffer.byteLength(body)};
      if (rule.date_offset_s !== undefined)
        headers.Date = new Date(Date.now() + rule.date_offset_s * 1000).toUTCString();
      entry.status = rule.status;
      entry.action = 'status';
      entry.bytes = body.length;
      res.writeHead(rule.status, headers);
      res.end(body);
      done();
    });
    return;
  }

  const forward = () => {
    const headers = {...req.headers};
    const up = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method,
      path: req.url, headers,
    }, (ures) => {
      entry.status = ures.statusCode;
      res.writeHead(ures.statusCode, ures.headers);
      let sent = 0;
      let cut = false;
      let pacing = false; // a throttled chunk is still being written
      let ended = false;  // upstream ended meanwhile
      const finish = () => {
        entry.bytes = sent;
        res.end();
        done();
      };
      ures.on('data', (chunk) => {
        if (cut) return;
        let buf = chunk;
        if (rule && rule.corrupt_at !== undefined &&
            rule.corrupt_at >= sent && rule.corrupt_at < sent + buf.length) {
          buf = Buffer.from(buf);
          buf[rule.corrupt_at - sent] ^= 0xFF;
          entry.action = 'corrupt';
        }
        if (rule && rule.cut_after !== undefined && sent + buf.length >= rule.cut_after) {
          // Send up to the cut, stall if asked, then drop the connection.
          cut = true;
          const part = buf.subarray(0, rule.cut_after - sent);
          sent += part.length;
          entry.bytes = sent;
          entry.action = 'cut';
          res.write(part);
          ures.pause();
          if (rule.pause_ms) log({event: 'stall', path: req.url, bytes: sent});
          setTimeout(() => {
            res.socket && res.socket.destroy();
            ures.destroy();
            done();
          }, rule.pause_ms || 0);
          return;
        }
        sent += buf.length;
        if (rule && rule.bytes_per_s) {
          // A slow link: slices at the given rate, upstream paused meanwhile.
          ures.pause();
          let off = 0;
          const step = () => {
            if (res.destroyed) return;
            if (off >= buf.length) {
              pacing = false;
              if (ended) finish();
              else ures.resume();
              return;
            }
            const part = buf.subarray(off, off + 8192);
            off += part.length;
            res.write(part);
            setTimeout(step, Math.ceil(part.length * 1000 / rule.bytes_per_s));
          };
          entry.action = 'throttle';
          pacing = true;
          step();
          return;
        }
        res.write(buf);
      });
      ures.on('end', () => {
        if (cut) return;
        // 'end' can follow the last chunk even while paused.
        if (pacing) {
          ended = true;
          return;
        }
        finish();
      });
      ures.on('error', () => {
        if (!cut) {
          res.socket && res.socket.destroy();
          entry.action = 'upstream-error';
          done();
        }
      });
    });
    up.on('error', (e) => {
      entry.status = 502;
      entry.action = 'upstream-error: ' + e.code;
      if (!res.headersSent) {
        res.writeHead(502, {'Content-Length': 0});
      }
      res.end();
      done();
    });
    req.pipe(up);
  };

  if (rule && rule.delay_ms) {
    entry.action = 'delay';
    // The client may give up meanwhile: then there is nothing to answer.
    setTimeout(() => {
      if (req.socket.destroyed) {
        entry.action = 'delay-abandoned';
        done();
        return;
      }
      forward();
    }, rule.delay_ms);
  } else {
    forward();
  }
});

server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  const tmp = portFile + '.tmp';
  fs.writeFileSync(tmp, String(server.address().port));
  fs.renameSync(tmp, portFile);
});
process.on('SIGTERM', () => process.exit(0));
