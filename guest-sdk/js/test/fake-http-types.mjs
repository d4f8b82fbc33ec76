// `wasi:http/types` under `node --test`: forwards to the fake host of the running test.
import { http } from "./fake-http.mjs";

const forward = (name) =>
  new Proxy(function () {}, {
    construct: (_, args) => new http.host.types[name](...args),
    get: (_, key) => http.host.types[name][key],
    getPrototypeOf: () => http.host.types[name].prototype,
  });

export default {
  Fields: forward("Fields"),
  OutgoingRequest: forward("OutgoingRequest"),
  OutgoingBody: forward("OutgoingBody"),
  httpErrorCode: (...a) => http.host.types.httpErrorCode(...a),
};
