// fnhost's `@aws-sdk/client-lambda`: the AWS SDK for JavaScript v3 Lambda client's Invoke over
// the host's `functions` interface (wit/handler.wit). package.mjs aliases the package name to
// this file.
//
// Covered: LambdaClient / Lambda with InvokeCommand (FunctionName as a name, `name:qualifier`
// or ARN; Qualifier; InvocationType RequestResponse, Event, DryRun; LogType Tail; Payload as a
// string or bytes) → StatusCode, FunctionError, ExecutedVersion, LogResult and Payload (a
// Uint8Array with transformToString()). ClientContext is accepted and not passed on. The callee
// must be granted to the caller (`invoke = ["name"]`); the host applies the loop guard and bounds
// a synchronous callee by the caller's remaining time.

import functions from "fnhost:function/functions";
import { ServiceException, bodyBytes, decodeAs, asBytes, hostFailure, metadata, settle, utf8 } from "./util.js";

const SUPPORTED = "LambdaClient and Lambda with InvokeCommand";

export class LambdaServiceException extends ServiceException {
  constructor(options) {
    super(options);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

function modeled(name, status, fault = "client") {
  const Class = class extends LambdaServiceException {
    constructor(options) {
      super({ name, $fault: fault, ...options });
      Object.setPrototypeOf(this, Class.prototype);
      this.Type = options.Type ?? (fault === "client" ? "User" : undefined);
      this.Message = options.message;
    }
  };
  Object.defineProperty(Class, "name", { value: name });
  Class.status = status;
  return Class;
}

/** No such function, version or alias (404). */
export const ResourceNotFoundException = modeled("ResourceNotFoundException", 404);
/** The callee is at its concurrency limit (429). */
export const TooManyRequestsException = modeled("TooManyRequestsException", 429);
/** The payload is over Lambda's limit (413). */
export const RequestTooLargeException = modeled("RequestTooLargeException", 413);
/** A parameter is invalid (400). */
export const InvalidParameterValueException = modeled("InvalidParameterValueException", 400);
/** The payload is not valid JSON (400). */
export const InvalidRequestContentException = modeled("InvalidRequestContentException", 400);
/** The call chain reached the loop guard (400). */
export const RecursiveInvocationException = modeled("RecursiveInvocationException", 400);
/** Anything else failed on the host (500). */
const ServiceExceptionClass = modeled("ServiceException", 500, "server");
export { ServiceExceptionClass as ServiceException };

/** AccessDeniedException is not modeled by the SDK: a LambdaServiceException with that name. */
function accessDenied(message) {
  return new LambdaServiceException({
    name: "AccessDeniedException",
    $fault: "client",
    $metadata: metadata(403),
    message,
  });
}

function toLambdaError(failure) {
  const message = String(failure.val ?? "");
  const Class = {
    "resource-not-found": ResourceNotFoundException,
    "too-many-requests": TooManyRequestsException,
    "request-too-large": RequestTooLargeException,
    "invalid-parameter": /\bJSON\b|parse/i.test(message)
      ? InvalidRequestContentException
      : InvalidParameterValueException,
    "recursive-invocation": RecursiveInvocationException,
    service: ServiceExceptionClass,
  }[failure.tag];
  if (failure.tag === "access-denied") return accessDenied(message);
  const C = Class ?? ServiceExceptionClass;
  return new C({ $metadata: metadata(C.status), message });
}

/** Lambda's Coral-style validation error for a bad member. */
function validation(message) {
  return new LambdaServiceException({
    name: "ValidationException",
    $fault: "client",
    $metadata: metadata(400),
    message,
  });
}

const TYPES = { RequestResponse: "request-response", Event: "event", DryRun: "dry-run" };

/** The SDK's Uint8ArrayBlobAdapter: the bytes, plus transformToString(encoding). */
function blob(bytes) {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  Object.defineProperty(out, "transformToString", {
    value: (encoding = "utf-8") => decodeAs(out, encoding),
  });
  return out;
}

function invoke(input) {
  const name = input.FunctionName;
  if (typeof name !== "string" || name === "") {
    throw validation(
      "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null",
    );
  }
  const type = input.InvocationType ?? "RequestResponse";
  if (!(type in TYPES)) {
    throw validation(
      `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  }
  const logType = input.LogType ?? "None";
  if (logType !== "None" && logType !== "Tail") {
    throw validation(
      `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]`,
    );
  }
  let payload = bodyBytes(input.Payload, "InvokeCommand Payload");
  // No payload is an empty event object, as Lambda's API makes it.
  if (payload.length === 0) payload = utf8("{}");
  let r;
  try {
    r = functions.invoke(name, input.Qualifier ?? null, TYPES[type], payload, logType === "Tail");
  } catch (e) {
    const failure = hostFailure(e);
    if (failure) throw toLambdaError(failure);
    throw e;
  }
  const out = { $metadata: metadata(r.statusCode), StatusCode: r.statusCode };
  if (r.functionError !== null && r.functionError !== undefined) out.FunctionError = r.functionError;
  if (r.logResult !== null && r.logResult !== undefined) out.LogResult = r.logResult;
  if (r.executedVersion !== null && r.executedVersion !== undefined) out.ExecutedVersion = r.executedVersion;
  out.Payload = blob(asBytes(r.payload));
  return out;
}

const OP = Symbol("fnhost.lambda.operation");

export class InvokeCommand {
  constructor(input = {}) {
    this.input = input;
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {} };
  }
}
InvokeCommand.prototype[OP] = invoke;

function run(cmd) {
  return new Promise((resolve) => {
    const op = cmd?.[OP];
    if (typeof op !== "function") {
      const name = cmd?.constructor?.name ?? typeof cmd;
      throw new TypeError(`LambdaClient.send: ${name} is not supported by fnhost; supported: ${SUPPORTED}`);
    }
    resolve(op(cmd.input ?? {}));
  });
}

/** `new LambdaClient({ region, ... })`: settings are accepted and ignored; calls go to the host. */
export class LambdaClient {
  constructor(config = {}) {
    const region = config.region;
    this.config = {
      ...config,
      region: () => Promise.resolve(typeof region === "function" ? region() : (region ?? process.env.AWS_REGION)),
    };
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {} };
  }

  /** Send a command: a Promise of its output, or `callback(err, output)` when given. */
  send(cmd, optionsOrCb, cb) {
    return settle(run(cmd), optionsOrCb, cb);
  }

  destroy() {}
}

/** The aggregated client: `new Lambda({}).invoke({ FunctionName, Payload })`. */
export class Lambda extends LambdaClient {
  invoke(input, optionsOrCb, cb) {
    return this.send(new InvokeCommand(input), optionsOrCb, cb);
  }
}

/** The SDK's enum objects, for `InvocationType.Event` and `LogType.Tail`. */
export const InvocationType = { DryRun: "DryRun", Event: "Event", RequestResponse: "RequestResponse" };
export const LogType = { None: "None", Tail: "Tail" };
