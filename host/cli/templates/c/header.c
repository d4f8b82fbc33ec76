/*
 * {{name}}: Lambda's getting-started function as an fnhost custom runtime in C. Greets
 * event.name (default "World"); behind an HTTP route or a function URL the event is API
 * Gateway's and the name comes from the query string (?name=Ada).
 *
 * The custom-runtime convention: the event is stdin, the response is stdout, the log is stderr,
 * exit status 0 is success. A failure prints Lambda's error object on stdout and exits non-zero.
 * Context comes in environment variables (AWS_REQUEST_ID, AWS_LAMBDA_FUNCTION_NAME, ...).
 *
 * Run it:    fnhost invoke {{name}} -e events/{{name}}.json   (builds first when stale)
 * Build:     sh functions/{{name}}/build.sh OUT.wasm           (clang --target=wasm32-wasi)
 */
