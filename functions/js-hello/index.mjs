// Lambda's getting-started function in JavaScript: greets `event.name` (default `World`).
export const handler = async (event, context) => {
  const name = event.name ?? "World";
  console.log(`Hello function invoked for ${name}`);
  return {
    statusCode: 200,
    body: JSON.stringify({ message: `Hello, ${name}! This is your first AWS Lambda function.` }),
  };
};
