// `fnhost:function/objects` under `node --test`: forwards to the fake host of the running test.
import { host } from "./fake-host.mjs";

export default {
  getObject: (...a) => host.objects.getObject(...a),
  putObject: (...a) => host.objects.putObject(...a),
  headObject: (...a) => host.objects.headObject(...a),
  deleteObject: (...a) => host.objects.deleteObject(...a),
  listObjects: (...a) => host.objects.listObjects(...a),
  copyObject: (...a) => host.objects.copyObject(...a),
};
