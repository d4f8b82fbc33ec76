// Module hooks for `node --test`: the host interfaces the guest modules import
// (`fnhost:function/objects`, `fnhost:function/functions`) resolve to fake-host.mjs's stand-ins.
const FAKES = {
  "fnhost:function/objects": "./fake-objects.mjs",
  "fnhost:function/functions": "./fake-functions.mjs",
};

export async function resolve(specifier, context, next) {
  const fake = FAKES[specifier];
  if (fake) return { url: new URL(fake, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
