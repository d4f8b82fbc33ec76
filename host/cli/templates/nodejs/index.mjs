// {{name}}: Lambda's getting-started function in JavaScript. Greets `event.name` (default World).
//
// Run it:    fnhost invoke {{name}} -e events/{{name}}.json
// Behind an HTTP route or a function URL the event is API Gateway's, which has no top-level
// `name`; the name then comes from the query string (?name=Ada).
export const handler = async (event, context) => {
  const name = event.name ?? event.queryStringParameters?.name ?? "World";
  console.log(`Hello function invoked for ${name}`);
  return {
    statusCode: 200,
    body: JSON.stringify({ message: `Hello, ${name}! This is your first AWS Lambda function.` }),
  };
};
