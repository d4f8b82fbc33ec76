// The Lambda tutorial's S3-read handler in JavaScript (AWS SDK for JavaScript v3): on an S3
// event, read the uploaded object and log its first 100 characters.
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";

const s3 = new S3Client({});

export const handler = async (event) => {
  const bucket = event.Records[0].s3.bucket.name;
  // S3 event keys are URL-encoded, spaces as `+` (as in AWS's own sample).
  const key = decodeURIComponent(event.Records[0].s3.object.key.replace(/\+/g, " "));

  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const content = await response.Body.transformToString();
  console.log(`파일 내용: ${content.slice(0, 100)}...`);

  return "파일 읽기 완료";
};
