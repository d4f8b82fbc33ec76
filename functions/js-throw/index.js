// Test fixture for the JavaScript runtime, written CommonJS-style (exports.handler):
// `{"do": "throw"}` throws after an await, `{"do": "reject-string"}` rejects with a non-Error,
// `{"do": "context"}` reports the context and how the remaining time moves, and `{"do": "loop"}`
// never returns.
class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = "ValidationError";
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = async (event, context) => {
  console.log("js-throw invoked with", event);
  switch (event.do) {
    case "throw":
      await sleep(1);
      throw new ValidationError(`bad input: ${event.why ?? "none"}`);
    case "reject-string":
      return Promise.reject("just a string");
    case "context": {
      const before = context.getRemainingTimeInMillis();
      await sleep(30);
      const after = context.getRemainingTimeInMillis();
      const { getRemainingTimeInMillis, done, succeed, fail, ...fields } = context;
      return { ...fields, before, after, greeting: process.env.GREETING ?? null };
    }
    case "loop":
      for (;;) {}
    default:
      return { ok: true };
  }
};
