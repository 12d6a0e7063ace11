// The slice of the browser's XMLHttpRequest that sse.js (the LibreChat client's SSE parser)
// uses, over node:http, with the one property the npm polyfills lack: `responseText` grows
// while the body streams and each chunk fires `progress`, as in a browser. sse.js itself runs
// unchanged on top.
import http from 'node:http';

export class XMLHttpRequest extends EventTarget {
  static UNSENT = 0;
  static OPENED = 1;
  static HEADERS_RECEIVED = 2;
  static LOADING = 3;
  static DONE = 4;

  readyState = 0;
  status = 0;
  responseText = '';
  withCredentials = false;
  #headers = {};
  #method = 'GET';
  #url = '';
  #req = null;
  #responseHeaders = {};

  open(method, url) {
    this.#method = method;
    this.#url = url;
    this.#set(XMLHttpRequest.OPENED);
  }

  setRequestHeader(name, value) {
    this.#headers[name] = value;
  }

  getAllResponseHeaders() {
    return Object.entries(this.#responseHeaders)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
  }

  #set(state) {
    this.readyState = state;
    this.dispatchEvent(new Event('readystatechange'));
  }

  send(body) {
    this.#req = http.request(this.#url, { method: this.#method, headers: this.#headers }, (res) => {
      this.status = res.statusCode;
      this.#responseHeaders = res.headers;
      this.#set(XMLHttpRequest.HEADERS_RECEIVED);
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (this.#req === null) return;
        this.responseText += chunk;
        if (this.readyState !== XMLHttpRequest.LOADING) this.#set(XMLHttpRequest.LOADING);
        this.dispatchEvent(new Event('progress'));
      });
      res.on('end', () => {
        if (this.#req === null) return;
        this.#set(XMLHttpRequest.DONE);
        this.dispatchEvent(new Event('load'));
      });
    });
    this.#req.on('error', () => {
      if (this.#req === null) return;
      this.#set(XMLHttpRequest.DONE);
      this.dispatchEvent(new Event('error'));
    });
    this.#req.end(body);
  }

  // As the spec has it: only an active request fires `abort` (after going DONE), and the
  // state then returns to UNSENT, so an abort from inside an `abort` listener (sse.js does
  // that) is a no-op.
  abort() {
    const req = this.#req;
    this.#req = null;
    req?.destroy();
    if (req && this.readyState >= XMLHttpRequest.OPENED && this.readyState < XMLHttpRequest.DONE) {
      this.#set(XMLHttpRequest.DONE);
      this.dispatchEvent(new Event('abort'));
    }
    if (this.readyState === XMLHttpRequest.DONE) this.readyState = XMLHttpRequest.UNSENT;
  }
}
