// Module hooks for generic-child.mjs: every interface generic.js imports resolves to a fake.
const FAKES = {
  "fnhost:function/objects": "./fake-objects.mjs",
  "fnhost:function/functions": "./fake-functions.mjs",
  "wasi:http/types@0.2.12": "./fake-http-types.mjs",
  "wasi:http/outgoing-handler@0.2.12": "./fake-http-outgoing-handler.mjs",
  "fnhost:function/runtime": "./fake-wasi.mjs?iface=runtime",
  "wasi:cli/stdout@0.2.12": "./fake-wasi.mjs?iface=stdout",
  "wasi:cli/stderr@0.2.12": "./fake-wasi.mjs?iface=stderr",
  "wasi:cli/environment@0.2.12": "./fake-wasi.mjs?iface=environment",
  "wasi:clocks/monotonic-clock@0.2.12": "./fake-wasi.mjs?iface=monotonic-clock",
  "wasi:filesystem/preopens@0.2.12": "./fake-wasi.mjs?iface=preopens",
};

export async function resolve(specifier, context, next) {
  const fake = FAKES[specifier];
  if (fake) return { url: new URL(fake, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
