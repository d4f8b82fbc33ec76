// Lambda's getting-started function in JavaScript: greets `event.name` (default `World`).
// Behind an HTTP route the event is API Gateway's: the name comes from the query string
// (GET /js/hello?name=Gemini), as in functions/hello.
export const handler = async (event, context) => {
  const name = event.name ?? event.queryStringParameters?.name ?? "World";
  console.log(`Hello function invoked for ${name}`);
  return {
    statusCode: 200,
    body: JSON.stringify({ message: `Hello, ${name}! This is your first AWS Lambda function.` }),
  };
};
