// The LibreChat client's own API layer (librechat-data-provider) pointed at a running server,
// with the small cookie jar Node needs (browsers keep cookies themselves). See the reference's
// section 13 for why each piece is there.
import axios from 'axios';
import { dataService, request, setTokenHeader } from 'librechat-data-provider';

const baseURL = process.env.FERROCHAT_URL;
if (!baseURL) {
  throw new Error('FERROCHAT_URL must name the server under test');
}
axios.defaults.baseURL = baseURL;

export const jar = new Map();
axios.interceptors.response.use(
  (response) => {
    for (const c of response.headers['set-cookie'] ?? []) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      const name = kv.slice(0, i);
      const value = kv.slice(i + 1);
      if (value && !/expires=Thu, 01 Jan 1970/i.test(c)) jar.set(name, value);
      else jar.delete(name);
    }
    return response;
  },
  (error) => Promise.reject(error),
);
axios.interceptors.request.use((config) => {
  if (jar.size) {
    config.headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  }
  return config;
});

export { axios, dataService, request, setTokenHeader };
