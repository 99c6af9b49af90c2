/**
 * For POST routes whose body is optional: Fastify validates a missing body as undefined, which an object
 * schema refuses, so an absent body becomes {} before validation. A JSON `null` is a body, and is refused.
 */
export async function optionalBody(request: { body: unknown }): Promise<void> {
  if (request.body === undefined) request.body = {};
}
