// Test fixture: the AWS SDK for JavaScript v3 inside fnhost. `event.op` picks what to do; the
// result describes what the SDK returned or threw, for the end-to-end tests to check.
import {
  S3Client,
  GetObjectCommand,
  PutObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  CopyObjectCommand,
  paginateListObjectsV2,
  NoSuchKey,
  NotFound,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { LambdaClient, InvokeCommand, LambdaServiceException } from "@aws-sdk/client-lambda";

const s3 = new S3Client({ region: "us-east-1" });
const lambda = new LambdaClient({});

/** What a thrown SDK error looks like. */
function describe(err) {
  return {
    name: err.name,
    message: err.message,
    fault: err.$fault,
    status: err.$metadata?.httpStatusCode,
    s3: err instanceof S3ServiceException,
    lambda: err instanceof LambdaServiceException,
    noSuchKey: err instanceof NoSuchKey,
    notFound: err instanceof NotFound,
  };
}

async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return describe(err);
  }
  return null;
}

async function errors({ bucket, denied }) {
  return {
    getMissing: await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "no/such/key.txt" }))),
    headMissing: await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "no/such/key.txt" }))),
    getDenied: await failure(s3.send(new GetObjectCommand({ Bucket: denied, Key: "secret.txt" }))),
    putDenied: await failure(s3.send(new PutObjectCommand({ Bucket: denied, Key: "x.txt", Body: "x" }))),
    noBucket: await failure(s3.send(new GetObjectCommand({ Bucket: "no-such-bucket", Key: "k" }))),
  };
}

async function objects({ bucket }) {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "docs/a.txt", Body: "안녕 fnhost" }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "docs/b.bin", Body: new Uint8Array([0, 1, 2, 255]) }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "docs/sub/c.txt", Body: "c" }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "docs/sub/d.txt", Body: "d" }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "docs/a.txt" }));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "docs/a.txt" }));
  const text = await got.Body.transformToString();
  const again = await failure(got.Body.transformToByteArray());
  const bin = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "docs/b.bin" }));
  const bytes = await bin.Body.transformToByteArray();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/", Delimiter: "/" }));
  const page1 = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/", MaxKeys: 2 }));
  const page2 = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: "docs/", MaxKeys: 2, ContinuationToken: page1.NextContinuationToken }),
  );
  const paged = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 3 }, { Bucket: bucket, Prefix: "docs/" })) {
    paged.push(page.Contents.map((o) => o.Key));
  }
  const copy = await s3.send(
    new CopyObjectCommand({ Bucket: bucket, Key: "copies/a copy.txt", CopySource: `${bucket}/${encodeURIComponent("docs/a.txt")}` }),
  );
  const copied = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copies/a copy.txt" }));
  const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "docs/b.bin" }));
  const afterDelete = await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "docs/b.bin" })));
  return {
    putETag: put.ETag,
    putStatus: put.$metadata.httpStatusCode,
    head: {
      ContentLength: head.ContentLength,
      ContentType: head.ContentType,
      ETag: head.ETag,
      lastModifiedIsDate: head.LastModified instanceof Date,
      lastModifiedMs: head.LastModified.getTime(),
      Metadata: head.Metadata,
    },
    text,
    again,
    bytes: Array.from(bytes),
    bytesIsUint8Array: bytes instanceof Uint8Array,
    delimited: {
      keys: (listed.Contents ?? []).map((o) => o.Key),
      prefixes: (listed.CommonPrefixes ?? []).map((p) => p.Prefix),
      KeyCount: listed.KeyCount,
      IsTruncated: listed.IsTruncated,
    },
    pages: [
      { keys: page1.Contents.map((o) => o.Key), IsTruncated: page1.IsTruncated },
      { keys: page2.Contents.map((o) => o.Key), IsTruncated: page2.IsTruncated },
    ],
    paged,
    copy: { ETag: copy.CopyObjectResult.ETag, lastModifiedIsDate: copy.CopyObjectResult.LastModified instanceof Date },
    copiedText: await copied.Body.transformToString(),
    deleteStatus: deleted.$metadata.httpStatusCode,
    afterDelete,
  };
}

async function invoke({ target, failing, name }) {
  const payload = JSON.stringify({ name });
  const sync = await lambda.send(new InvokeCommand({ FunctionName: target, Payload: payload }));
  const event = await lambda.send(new InvokeCommand({ FunctionName: target, InvocationType: "Event", Payload: payload }));
  const dry = await lambda.send(new InvokeCommand({ FunctionName: target, InvocationType: "DryRun" }));
  const failed = await lambda.send(new InvokeCommand({ FunctionName: failing, Payload: new TextEncoder().encode("{}") }));
  return {
    sync: {
      StatusCode: sync.StatusCode,
      ExecutedVersion: sync.ExecutedVersion,
      FunctionError: sync.FunctionError ?? null,
      payloadIsUint8Array: sync.Payload instanceof Uint8Array,
      Payload: JSON.parse(sync.Payload.transformToString()),
    },
    event: { StatusCode: event.StatusCode, payloadLength: event.Payload.length },
    dry: { StatusCode: dry.StatusCode },
    failed: {
      StatusCode: failed.StatusCode,
      FunctionError: failed.FunctionError ?? null,
      Payload: JSON.parse(new TextDecoder().decode(failed.Payload)),
    },
    missing: await failure(lambda.send(new InvokeCommand({ FunctionName: "no-such-function" }))),
  };
}

async function invokeDenied({ target }) {
  return { denied: await failure(lambda.send(new InvokeCommand({ FunctionName: target, Payload: "{}" }))) };
}

export const handler = async (event) => {
  switch (event.op) {
    case "errors":
      return errors(event);
    case "objects":
      return objects(event);
    case "invoke":
      return invoke(event);
    case "invoke-denied":
      return invokeDenied(event);
    default:
      throw new Error(`unknown op ${JSON.stringify(event.op)}`);
  }
};
