// `fnhost:function/functions` under `node --test`: forwards to the fake host of the running test.
import { host } from "./fake-host.mjs";

export default {
  invoke: (...a) => host.functions.invoke(...a),
};
