// Module hooks for fetch.js's tests: wasi:http's interfaces resolve to the fake of fake-http.mjs.
const FAKES = {
  "wasi:http/types@0.2.12": "./fake-http-types.mjs",
  "wasi:http/outgoing-handler@0.2.12": "./fake-http-outgoing-handler.mjs",
};

export async function resolve(specifier, context, next) {
  const fake = FAKES[specifier];
  if (fake) return { url: new URL(fake, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
