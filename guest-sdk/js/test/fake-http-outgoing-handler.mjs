// `wasi:http/outgoing-handler` under `node --test`: forwards to the fake host of the running test.
import { http } from "./fake-http.mjs";

export default {
  handle: (...a) => http.host.outgoingHandler.handle(...a),
};
