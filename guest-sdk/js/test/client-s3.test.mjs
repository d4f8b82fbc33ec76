// Unit tests of fnhost's @aws-sdk/client-s3 (guest-sdk/js/aws/client-s3.js) against an
// in-memory host: `node --test guest-sdk/js/test/`.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { FakeObjects, host } from "./fake-host.mjs";

const sdk = await import("../aws/client-s3.js");
const {
  S3Client,
  S3,
  GetObjectCommand,
  PutObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  NoSuchKey,
  NoSuchBucket,
  NotFound,
  S3ServiceException,
  paginateListObjectsV2,
} = sdk;

let fake;
const s3 = new S3Client({ region: "us-east-1" });

beforeEach(() => {
  fake = new FakeObjects({ buckets: ["data", "other", "secret"], read: ["data", "other"], write: ["data", "other"] });
  host.objects = fake;
});

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

test("GetObject returns the body, quoted ETag, Date LastModified and metadata", async () => {
  fake.seed("data", "notes/hello.txt", "안녕하세요, fnhost! ".repeat(10));
  const out = await s3.send(new GetObjectCommand({ Bucket: "data", Key: "notes/hello.txt" }));
  const bytes = new TextEncoder().encode("안녕하세요, fnhost! ".repeat(10));
  assert.equal(out.ContentLength, bytes.length);
  assert.equal(out.ContentType, "text/plain");
  assert.equal(out.ETag, `"${fake.headObject("data", "notes/hello.txt").etag}"`);
  assert.ok(out.ETag.startsWith('"') && out.ETag.endsWith('"') && out.ETag.length === 34);
  assert.ok(out.LastModified instanceof Date);
  assert.equal(out.LastModified.getTime(), fake.buckets.get("data").get("notes/hello.txt").mtime);
  assert.deepEqual(out.Metadata, {});
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.equal(out.$metadata.attempts, 1);
  assert.equal(out.$metadata.totalRetryDelay, 0);
  assert.match(out.$metadata.requestId, /^[0-9A-F]{16}$/);
  const text = await out.Body.transformToString();
  assert.equal(text, "안녕하세요, fnhost! ".repeat(10));
});

test("the Body transforms once: a second transform throws the SDK's message", async () => {
  fake.seed("data", "a.bin", [1, 2, 250]);
  const out = await s3.send(new GetObjectCommand({ Bucket: "data", Key: "a.bin" }));
  assert.equal(out.ContentType, "binary/octet-stream");
  const bytes = await out.Body.transformToByteArray();
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(Array.from(bytes), [1, 2, 250]);
  const again = await rejection(out.Body.transformToString());
  assert.equal(again.message, "The stream has already been transformed.");
  assert.throws(() => out.Body.transformToWebStream(), /not supported/);
});

test("transformToString takes Node's encodings", async () => {
  fake.seed("data", "k", [0xde, 0xad, 0xbe, 0xef, 0x41]);
  const get = () => s3.send(new GetObjectCommand({ Bucket: "data", Key: "k" }));
  assert.equal(await (await get()).Body.transformToString("hex"), "deadbeef41");
  assert.equal(await (await get()).Body.transformToString("base64"), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x41]).toString("base64"));
  assert.equal(await (await get()).Body.transformToString("latin1"), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x41]).toString("latin1"));
});

test("GetObject of a missing key rejects with NoSuchKey (404, client fault)", async () => {
  const err = await rejection(s3.send(new GetObjectCommand({ Bucket: "data", Key: "missing.txt" })));
  assert.ok(err instanceof NoSuchKey);
  assert.ok(err instanceof S3ServiceException);
  assert.ok(err instanceof Error);
  assert.equal(err.name, "NoSuchKey");
  assert.equal(err.message, "The specified key does not exist.");
  assert.equal(err.$fault, "client");
  assert.equal(err.$metadata.httpStatusCode, 404);
  assert.equal(err.Key, "missing.txt");
});

test("HeadObject of a missing key or bucket rejects with NotFound", async () => {
  for (const [Bucket, Key] of [["data", "missing.txt"], ["nope", "k"]]) {
    const err = await rejection(s3.send(new HeadObjectCommand({ Bucket, Key })));
    assert.ok(err instanceof NotFound, `${Bucket}/${Key}`);
    assert.equal(err.name, "NotFound");
    assert.equal(err.$metadata.httpStatusCode, 404);
  }
});

test("a bucket that does not exist is NoSuchBucket; no grant is AccessDenied with the host's hint", async () => {
  const missing = await rejection(s3.send(new GetObjectCommand({ Bucket: "nope", Key: "k" })));
  assert.ok(missing instanceof NoSuchBucket);
  assert.equal(missing.$metadata.httpStatusCode, 404);
  assert.equal(missing.BucketName, "nope");
  for (const cmd of [
    new GetObjectCommand({ Bucket: "secret", Key: "k" }),
    new PutObjectCommand({ Bucket: "secret", Key: "k", Body: "x" }),
    new ListObjectsV2Command({ Bucket: "secret" }),
  ]) {
    const err = await rejection(s3.send(cmd));
    assert.ok(err instanceof S3ServiceException);
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.Code, "AccessDenied");
    assert.equal(err.$fault, "client");
    assert.equal(err.$metadata.httpStatusCode, 403);
    assert.match(err.message, /objects = \{ (read|write) = \["secret"\] \}/);
  }
  const head = await rejection(s3.send(new HeadObjectCommand({ Bucket: "secret", Key: "k" })));
  assert.equal(head.name, "403");
  assert.equal(head.$metadata.httpStatusCode, 403);
});

test("host failures thrown as a bare variant are mapped too", async () => {
  host.objects = {
    headObject() {
      throw { tag: "io", val: "SlowDown: too many requests" };
    },
    getObject() {
      throw { tag: "io", val: "disk on fire" };
    },
  };
  const slow = await rejection(s3.send(new HeadObjectCommand({ Bucket: "data", Key: "k" })));
  assert.equal(slow.$metadata.httpStatusCode, 503);
  assert.equal(slow.$fault, "server");
  const io = await rejection(s3.send(new GetObjectCommand({ Bucket: "data", Key: "k" })));
  assert.equal(io.name, "InternalError");
  assert.equal(io.$metadata.httpStatusCode, 500);
  assert.equal(io.message, "disk on fire");
});

test("PutObject stores strings as UTF-8 and bytes as given, answering the quoted ETag", async () => {
  const out = await s3.send(new PutObjectCommand({ Bucket: "data", Key: "a.txt", Body: "héllo", ContentType: "text/plain" }));
  assert.deepEqual(Array.from(fake.buckets.get("data").get("a.txt").bytes), Array.from(Buffer.from("héllo")));
  assert.equal(out.ETag, `"${fake.headObject("data", "a.txt").etag}"`);
  assert.equal(out.$metadata.httpStatusCode, 200);
  await s3.send(new PutObjectCommand({ Bucket: "data", Key: "b", Body: Buffer.from([9, 8, 7]) }));
  assert.deepEqual(Array.from(fake.buckets.get("data").get("b").bytes), [9, 8, 7]);
  const view = new Uint16Array([0x0102]);
  await s3.send(new PutObjectCommand({ Bucket: "data", Key: "c", Body: view }));
  assert.equal(fake.buckets.get("data").get("c").bytes.length, 2);
  await s3.send(new PutObjectCommand({ Bucket: "data", Key: "empty" }));
  assert.equal(fake.buckets.get("data").get("empty").bytes.length, 0);
  const bad = await rejection(s3.send(new PutObjectCommand({ Bucket: "data", Key: "d", Body: { pipe() {} } })));
  assert.match(bad.message, /not supported.*string, Uint8Array or Buffer/);
  const invalid = await rejection(s3.send(new PutObjectCommand({ Bucket: "data", Key: "../x", Body: "x" })));
  assert.equal(invalid.name, "InvalidArgument");
  assert.equal(invalid.$metadata.httpStatusCode, 400);
});

test("HeadObject has GetObject's fields without a Body; DeleteObject answers 204, also for a missing key", async () => {
  fake.seed("data", "photo.JPG", [1, 2, 3]);
  const head = await s3.send(new HeadObjectCommand({ Bucket: "data", Key: "photo.JPG" }));
  assert.equal(head.Body, undefined);
  assert.equal(head.ContentLength, 3);
  assert.equal(head.ContentType, "image/jpeg");
  assert.ok(head.LastModified instanceof Date);
  const del = await s3.send(new DeleteObjectCommand({ Bucket: "data", Key: "photo.JPG" }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  assert.equal(fake.buckets.get("data").has("photo.JPG"), false);
  const again = await s3.send(new DeleteObjectCommand({ Bucket: "data", Key: "photo.JPG" }));
  assert.equal(again.$metadata.httpStatusCode, 204);
});

test("ListObjectsV2 with a Delimiter groups CommonPrefixes and counts them as keys", async () => {
  for (const k of ["a/1", "a/2", "b/x/1", "b/y", "c", "d/1", "top.txt"]) fake.seed("data", k, "x");
  const out = await s3.send(new ListObjectsV2Command({ Bucket: "data", Delimiter: "/" }));
  assert.deepEqual(out.Contents.map((o) => o.Key), ["c", "top.txt"]);
  assert.deepEqual(out.CommonPrefixes, [{ Prefix: "a/" }, { Prefix: "b/" }, { Prefix: "d/" }]);
  assert.equal(out.KeyCount, 5);
  assert.equal(out.IsTruncated, false);
  assert.equal(out.Name, "data");
  assert.equal(out.Prefix, "");
  assert.equal(out.Delimiter, "/");
  assert.equal(out.NextContinuationToken, undefined);
  const c = out.Contents[0];
  assert.equal(c.Size, 1);
  assert.equal(c.StorageClass, "STANDARD");
  assert.ok(c.LastModified instanceof Date);
  assert.match(c.ETag, /^"[0-9a-f]{32}"$/);
  const sub = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "b/", Delimiter: "/" }));
  assert.deepEqual(sub.Contents.map((o) => o.Key), ["b/y"]);
  assert.deepEqual(sub.CommonPrefixes, [{ Prefix: "b/x/" }]);
  const none = await s3.send(new ListObjectsV2Command({ Bucket: "data", Prefix: "zzz" }));
  assert.equal(none.Contents, undefined);
  assert.equal(none.KeyCount, 0);
});

test("ListObjectsV2 pages with MaxKeys and ContinuationToken, StartAfter skips", async () => {
  const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
  for (const k of keys) fake.seed("data", k, "x");
  const seen = [];
  let token;
  let pages = 0;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: "data", MaxKeys: 3, ContinuationToken: token }));
    seen.push(...out.Contents.map((o) => o.Key));
    assert.equal(out.MaxKeys, 3);
    assert.equal(out.IsTruncated, out.NextContinuationToken !== undefined);
    token = out.NextContinuationToken;
    pages++;
  } while (token);
  assert.deepEqual(seen, keys);
  assert.equal(pages, 3);
  const after = await s3.send(new ListObjectsV2Command({ Bucket: "data", StartAfter: "k4" }));
  assert.deepEqual(after.Contents.map((o) => o.Key), ["k5", "k6"]);
  assert.equal(after.StartAfter, "k4");
  const bad = await rejection(s3.send(new ListObjectsV2Command({ Bucket: "data", ContinuationToken: "!!" })));
  assert.equal(bad.name, "InvalidArgument");
  assert.equal(bad.message, "The continuation token provided is incorrect");
});

test("a page ending on a common prefix resumes after it", async () => {
  for (const k of ["a/1", "a/2", "b/1", "b/2", "c/1"]) fake.seed("data", k, "x");
  const p1 = await s3.send(new ListObjectsV2Command({ Bucket: "data", Delimiter: "/", MaxKeys: 2 }));
  assert.deepEqual(p1.CommonPrefixes, [{ Prefix: "a/" }, { Prefix: "b/" }]);
  assert.equal(p1.IsTruncated, true);
  const p2 = await s3.send(
    new ListObjectsV2Command({ Bucket: "data", Delimiter: "/", MaxKeys: 2, ContinuationToken: p1.NextContinuationToken }),
  );
  assert.deepEqual(p2.CommonPrefixes, [{ Prefix: "c/" }]);
  assert.equal(p2.IsTruncated, false);
});

test("paginateListObjectsV2 yields every page", async () => {
  for (let i = 0; i < 5; i++) fake.seed("data", `p/${i}`, "x");
  const keys = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: "data", Prefix: "p/" })) {
    keys.push(...page.Contents.map((o) => o.Key));
  }
  assert.deepEqual(keys, ["p/0", "p/1", "p/2", "p/3", "p/4"]);
});

test("CopyObject takes a URL-encoded CopySource and answers CopyObjectResult", async () => {
  fake.seed("data", "dir/a b+ü.txt", "copy me");
  const out = await s3.send(
    new CopyObjectCommand({ Bucket: "other", Key: "copied.txt", CopySource: `/data/${encodeURIComponent("dir/a b+ü.txt")}` }),
  );
  assert.deepEqual(fake.calls.at(-1), ["copyObject", "data", "dir/a b+ü.txt", "other", "copied.txt"]);
  assert.equal(new TextDecoder().decode(fake.buckets.get("other").get("copied.txt").bytes), "copy me");
  assert.match(out.CopyObjectResult.ETag, /^"[0-9a-f]{32}"$/);
  assert.ok(out.CopyObjectResult.LastModified instanceof Date);
  await s3.send(new CopyObjectCommand({ Bucket: "data", Key: "plain", CopySource: "data/dir/a b+ü.txt" }));
  assert.ok(fake.buckets.get("data").has("plain"));
  const missing = await rejection(s3.send(new CopyObjectCommand({ Bucket: "data", Key: "x", CopySource: "data/nope" })));
  assert.ok(missing instanceof NoSuchKey);
  const versioned = await rejection(s3.send(new CopyObjectCommand({ Bucket: "data", Key: "x", CopySource: "data/plain?versionId=3" })));
  assert.match(versioned.message, /not versioned/);
});

test("Range reads answer 206 with ContentRange; an unsatisfiable range is InvalidRange", async () => {
  fake.seed("data", "r", "0123456789");
  const get = (Range) => s3.send(new GetObjectCommand({ Bucket: "data", Key: "r", Range }));
  const mid = await get("bytes=2-4");
  assert.equal(mid.$metadata.httpStatusCode, 206);
  assert.equal(mid.ContentRange, "bytes 2-4/10");
  assert.equal(mid.ContentLength, 3);
  assert.equal(await mid.Body.transformToString(), "234");
  assert.equal(await (await get("bytes=7-")).Body.transformToString(), "789");
  assert.equal(await (await get("bytes=-2")).Body.transformToString(), "89");
  assert.equal(await (await get("bytes=8-100")).Body.transformToString(), "89");
  const err = await rejection(get("bytes=10-12"));
  assert.equal(err.name, "InvalidRange");
  assert.equal(err.$metadata.httpStatusCode, 416);
});

test("an object over the host's per-call cap is read in ranges", async () => {
  const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);
  fake.maxBody = 100_000;
  fake.seed("data", "big.bin", big);
  const out = await s3.send(new GetObjectCommand({ Bucket: "data", Key: "big.bin" }));
  assert.equal(out.ContentLength, big.length);
  assert.deepEqual(await out.Body.transformToByteArray(), big);
  assert.ok(fake.calls.filter((c) => c[0] === "getObject" && c[3] !== null).length >= 3);
});

test("send takes a callback; the aggregated S3 client has methods", async () => {
  fake.seed("data", "k", "v");
  const viaCallback = await new Promise((resolve, reject) =>
    s3.send(new HeadObjectCommand({ Bucket: "data", Key: "k" }), (err, out) => (err ? reject(err) : resolve(out))),
  );
  assert.equal(viaCallback.ContentLength, 1);
  const agg = new S3({});
  const out = await agg.getObject({ Bucket: "data", Key: "k" });
  assert.equal(await out.Body.transformToString(), "v");
  assert.equal(await (await new S3Client({ region: "eu-west-1" }).config.region()), "eu-west-1");
});

test("an unsupported command or missing parameter is rejected naming what is supported", async () => {
  class DeleteObjectsCommand {
    constructor(input) {
      this.input = input;
    }
  }
  const err = await rejection(s3.send(new DeleteObjectsCommand({ Bucket: "data" })));
  assert.match(err.message, /DeleteObjectsCommand is not supported by fnhost; supported: .*GetObjectCommand/);
  const missing = await rejection(s3.send(new GetObjectCommand({ Bucket: "data" })));
  assert.match(missing.message, /Key parameter is required/);
});

test("building a client or command calls no host function (module-level code runs at build time)", () => {
  host.objects = new Proxy({}, { get: () => assert.fail("host called") });
  const client = new S3Client({});
  new GetObjectCommand({ Bucket: "b", Key: "k" });
  assert.ok(client);
});

